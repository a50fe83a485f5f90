import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Page cursors sealed with AES-256-GCM under a key derived from the service's secret: a client can
 * neither read what is inside (another user's request id, say) nor forge one, and a cursor works
 * only for the list and tenant (`scope`) it was issued for. Any instance with the same secret opens it.
 */
export class CursorSeal {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = createHash('sha256').update(`aura page cursor\n${secret}`).digest();
  }

  seal(plain: string, scope: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv).setAAD(Buffer.from(scope));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
  }

  /** The sealed text, or null for anything this service did not seal for `scope`. */
  open(cursor: string, scope: string): string | null {
    const raw = Buffer.from(cursor, 'base64url');
    if (raw.length < 29) return null;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12)).setAAD(Buffer.from(scope));
      decipher.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    } catch {
      return null;
    }
  }
}
