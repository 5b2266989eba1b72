/** `netlab 0.1.0 (Node.js v20.20.2, linux x64)`: what `--version` prints, for bug reports. */
export function formatVersion(name: string, version: string): string {
  return `${name} ${version} (Node.js ${process.version}, ${process.platform} ${process.arch})`;
}
