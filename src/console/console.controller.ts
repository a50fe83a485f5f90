import { Controller, Get, NotFoundException, Param, Req, Res } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiTags } from '@nestjs/swagger';
import { JwtService } from '@nestjs/jwt';
import type { Request, Response } from 'express';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO_TENANT, signDemoToken } from '../auth/demo-token';
import { Public } from '../auth/public.decorator';
import { AppConfig } from '../config/app-config';

/** public/ sits next to dist/ in the repo and in the image. */
export const CONSOLE_DIR = join(__dirname, '..', '..', 'public', 'console');
const FILES: Record<string, string> = { 'index.html': 'text/html', 'console.js': 'text/javascript', 'console.css': 'text/css', 'favicon.svg': 'image/svg+xml' };

/**
 * The page runs only its own script and style, talks only to this origin, and is never framed
 * (its Approve buttons must not be clickjacked).
 */
const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const queryOf = (req: Request): string => {
  const i = req.originalUrl.indexOf('?');
  return i < 0 ? '' : req.originalUrl.slice(i);
};

/**
 * The HITL console: static files that use only the public API (stream tickets + EventSource, the
 * HITL routes). In demo mode it is also handed a ready-made token, so it works with no set-up.
 */
@ApiTags('console')
@Public()
@Controller('console')
export class ConsoleController {
  constructor(
    private readonly config: AppConfig,
    private readonly jwt: JwtService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'The HITL console page (HTML)' })
  @ApiProduces('text/html')
  @ApiOkResponse({ description: 'The console page' })
  index(@Req() req: Request, @Res() res: Response): void {
    // The page's URLs are relative to …/console: from …/console/ they would miss. A relative
    // Location keeps a gateway prefix (/api/console/ → /api/console).
    if (req.path.endsWith('/')) return res.redirect(302, `../console${queryOf(req)}`);
    this.send(res, 'index.html');
  }

  @Get('config.json')
  @ApiOperation({ summary: 'The console’s settings: a ready-made token in demo mode, nothing otherwise' })
  @ApiOkResponse({ schema: { type: 'object', properties: { demoToken: { type: 'string' }, tenantId: { type: 'string' } } } })
  settings(): { demoToken?: string; tenantId?: string } {
    // Only a secret generated for this demo process is ever used to hand out tokens.
    if (!this.config.demo || !this.config.auth.secretGenerated) return {};
    return { demoToken: signDemoToken(this.jwt), tenantId: DEMO_TENANT };
  }

  @Get(':file')
  @ApiOperation({ summary: 'The console’s script, stylesheet and icon' })
  @ApiParam({ name: 'file', enum: Object.keys(FILES) })
  @ApiOkResponse({ description: 'The file' })
  @ApiNotFoundResponse({ description: 'No such console file' })
  file(@Param('file') file: string, @Req() req: Request, @Res() res: Response): void {
    if (file === 'index.html') return res.redirect(302, `../console${queryOf(req)}`);
    this.send(res, file);
  }

  private send(res: Response, file: string): void {
    if (file === 'index.html') res.setHeader('Content-Security-Policy', CONSOLE_CSP).setHeader('X-Frame-Options', 'DENY');
    const type = FILES[file];
    const path = join(CONSOLE_DIR, file);
    if (!type || !existsSync(path)) throw new NotFoundException(`No console file ${file}`);
    res.type(type).setHeader('Cache-Control', 'no-cache');
    res.sendFile(path);
  }
}
