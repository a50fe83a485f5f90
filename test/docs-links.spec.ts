import { existsSync, readFileSync } from 'fs';
import { dirname, join, resolve } from 'path';

/** Every relative link of the README and the wire reference points at a file of this repository (a fresh clone has nothing else). */
const ROOT = resolve(__dirname, '..');

describe('README links (the contract was ../shared/CONTRACT.md, outside any clone)', () => {
  for (const file of ['README.md', 'docs/protocol.md']) {
    it(`${file}: every relative link resolves inside the repository`, () => {
      const text = readFileSync(join(ROOT, file), 'utf8');
      const targets = [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]).filter((t) => !/^[a-z]+:|^#/.test(t));
      expect(targets.length).toBeGreaterThan(0);
      const broken = targets.filter((t) => {
        const path = resolve(dirname(join(ROOT, file)), t.split('#')[0]);
        return !path.startsWith(ROOT + '/') || !existsSync(path);
      });
      expect(broken).toEqual([]);
    });
  }
});
