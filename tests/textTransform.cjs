// Jest counterpart of esbuild's text loader (and of `with { type: 'text' }`): the file imports as its text.
module.exports = {
  process(sourceText) {
    return { code: `module.exports = { __esModule: true, default: ${JSON.stringify(sourceText)} };` };
  },
};
