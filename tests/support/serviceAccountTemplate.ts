import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The shipped template, read as the bundle would embed it. */
export const serviceAccountTemplate = readFileSync(join(__dirname, '../../kube-templates/serviceaccount.yaml'), 'utf8');
