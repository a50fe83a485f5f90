import { applyDecorators } from '@nestjs/common';
import { ApiBadRequestResponse, ApiForbiddenResponse, ApiSecurity, ApiServiceUnavailableResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';

export const BEARER_SCHEME = 'bearer';
export const TENANT_SCHEME = 'tenant';
export const WORKER_SCHEME = 'worker';

/** The two security schemes every /aura route needs, and the answers they can give. */
export const ApiAuthed = () =>
  applyDecorators(
    // One requirement naming both schemes: the token AND the tenant header (two entries would mean either).
    ApiSecurity({ [BEARER_SCHEME]: [], [TENANT_SCHEME]: [] }),
    ApiUnauthorizedResponse({ description: 'Missing, malformed, expired or wrongly signed token (decided before 400/403)' }),
    ApiBadRequestResponse({ description: 'Missing X-Tenant-ID header, or an invalid id or body (a JSON body may nest at most 32 levels)' }),
    ApiForbiddenResponse({ description: 'Tenant ID mismatch' }),
    ApiServiceUnavailableResponse({ description: 'Redis is unreachable; nothing was changed' }),
  );

/** The worker routes: a worker token only (no tenant header). */
export const ApiWorkerAuthed = () =>
  applyDecorators(
    ApiSecurity(WORKER_SCHEME),
    ApiUnauthorizedResponse({ description: 'Missing, malformed, expired or wrongly signed token' }),
    ApiBadRequestResponse({ description: 'An invalid id or body; nothing was written' }),
    ApiForbiddenResponse({ description: 'A user token (the worker routes need scope aura:worker)' }),
    ApiServiceUnavailableResponse({ description: 'Redis is unreachable; nothing was changed' }),
  );
