/** Everything the controller and the install tooling use from the API package. */
export * from './constants.ts';
export * from './duration.ts';
export type { CelRule, CrossFieldRule, TransitionRule } from './cel.ts';
export type { Condition, LabelSelector } from './common.ts';
export type { Resolved } from './resolve.ts';
export * from './fractallba.ts';
export * from './signingkey.ts';
export { crdFiles, crdYaml, fractalLBACrd, signingKeyCrd } from './crd.ts';
