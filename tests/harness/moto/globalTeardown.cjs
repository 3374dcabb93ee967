// Jest globalTeardown: stops the moto server that globalSetup.cjs started, if it started one.
module.exports = async function globalTeardown() {
  const moto = globalThis.__motoHarness;
  delete globalThis.__motoHarness;
  if (!moto) return;
  await moto.stop();
  delete process.env.MOTO_ENDPOINT;
};
