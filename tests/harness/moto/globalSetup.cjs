// Jest globalSetup: one moto server for the whole run. It runs in jest's parent process, so the
// variables set here reach every worker; test files find the server through MOTO_ENDPOINT
// (see connectMoto in setup.mjs). A MOTO_ENDPOINT that is already set means "use that server".
const { join } = require('node:path');

module.exports = async function globalSetup() {
  if (process.env.MOTO_ENDPOINT) return;
  // A native import, not require: setup.mjs is ESM and this file is not run through jest's transform.
  const { ensureMotoVenv, startMoto, HARNESS_EKS_ENV } = await import('./setup.mjs');
  const root = join(__dirname, '../../..');
  await ensureMotoVenv(root);
  const moto = await startMoto(root, { env: { ...HARNESS_EKS_ENV } });
  Object.assign(process.env, HARNESS_EKS_ENV, { MOTO_ENDPOINT: moto.endpoint });
  // globalTeardown runs in the same process; globals are how jest lets the two share state.
  globalThis.__motoHarness = moto;
};
