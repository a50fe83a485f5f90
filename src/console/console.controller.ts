import { Controller, Get, NotFoundException, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { JwtService } from '@nestjs/jwt';
import type { Response } from 'express';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Public } from '../auth/public.decorator';
import { AppConfig } from '../config/app-config';

/** public/ sits next to dist/ in the repo and in the image. */
export const CONSOLE_DIR = join(__dirname, '..', '..', 'public', 'console');
const FILES: Record<string, string> = { 'index.html': 'text/html', 'console.js': 'text/javascript', 'console.css': 'text/css' };

/**
 * The HITL console: static files that use only the public API (stream tickets + EventSource, the
 * HITL routes). In demo mode it is also handed a ready-made token, so it works with no set-up.
 */
@ApiExcludeController()
@Public()
@Controller('console')
export class ConsoleController {
  constructor(
    private readonly config: AppConfig,
    private readonly jwt: JwtService,
  ) {}

  @Get()
  index(@Res() res: Response): void {
    this.send(res, 'index.html');
  }

  @Get('config.json')
  settings(): { demoToken?: string; tenantId?: string } {
    if (!this.config.demo) return {};
    return { demoToken: this.jwt.sign({ sub: 'demo-user', tenant_id: 'demo' }, { expiresIn: '12h' }), tenantId: 'demo' };
  }

  @Get(':file')
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
