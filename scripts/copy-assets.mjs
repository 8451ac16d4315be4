// Copies the non-TypeScript files the compiled code reads at run time
// (SQL migrations) from src/ into dist/src/, keeping their relative paths.
import { cpSync } from 'node:fs';

cpSync('src', 'dist/src', {
  recursive: true,
  filter: (path) => !/\.tsx?$/.test(path),
});
