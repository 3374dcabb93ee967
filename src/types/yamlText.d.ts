// kube-templates/*.yaml are bundled as text (esbuild's text loader; a jest transform in tests).
declare module '*.yaml' {
  const text: string;
  export default text;
}
