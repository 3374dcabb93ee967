import serviceAccountTemplate from '../kube-templates/serviceaccount.yaml';

/** The ServiceAccount template, bundled at build time so a function reads no file to render it. */
export const kubeTemplates = { serviceAccount: serviceAccountTemplate } as const;
