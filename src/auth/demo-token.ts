import type { JwtService } from '@nestjs/jwt';

export const DEMO_TENANT = 'demo';
export const DEMO_USER = 'demo-user';

/** The one token the demo hands out (banner and console), only ever with a secret generated for that process. */
export const signDemoToken = (jwt: JwtService): string => jwt.sign({ sub: DEMO_USER, tenant_id: DEMO_TENANT }, { expiresIn: '12h' });
