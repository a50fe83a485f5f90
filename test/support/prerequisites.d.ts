export interface Prerequisites {
  found: { redis?: string; chromium?: string; nginx?: string; curl?: string };
  missing: string[];
}
export function findPrerequisites(env?: NodeJS.ProcessEnv): Prerequisites;
export function missingLine(missing: string[], isRoot?: boolean): string | null;
