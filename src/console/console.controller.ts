import { Controller, Get, NotFoundException, Param, Res } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiTags } from '@nestjs/swagger';
import { JwtService } from '@nestjs/jwt';
import type { Response } from 'express';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO_TENANT, signDemoToken } from '../auth/demo-token';
import { Public } from '../auth/public.decorator';
import { AppConfig } from '../config/app-config';

/** public/ sits next to dist/ in the repo and in the image. */
export const CONSOLE_DIR = join(__dirname, '..', '..', 'public', 'console');
const FILES: Record<string, string> = { 'index.html': 'text/html', 'console.js': 'text/javascript', 'console.css': 'text/css', 'favicon.svg': 'image/svg+xml' };

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
  index(@Res() res: Response): void {
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
  file(@Param('file') file: string, @Res() res: Response): void {
    this.send(res, file);
  }

  private send(res: Response, file: string): void {
    const type = FILES[file];
    const path = join(CONSOLE_DIR, file);
    if (!type || !existsSync(path)) throw new NotFoundException(`No console file ${file}`);
    res.type(type).setHeader('Cache-Control', 'no-cache');
    res.sendFile(path);
  }
}
