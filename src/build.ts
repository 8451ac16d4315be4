/** Public entry point of the builder: file in, dataset package out. */

export type { BuildHooks, BuildResult, BuildStep, ProgressEvent } from './build/build-package.ts';
export {
  BUILD_STEPS,
  buildDataset,
  buildPackage,
  recordedParameters,
  TOOL_VERSION,
} from './build/build-package.ts';
export type { BuildOptions, ResolvedBuildOptions } from './build/options.ts';
export { resolveBuildOptions } from './build/options.ts';
