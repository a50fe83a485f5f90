import { Controller, Get, Res } from '@nestjs/common';
import { ApiFoundResponse, ApiMovedPermanentlyResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../auth/public.decorator';

/**
 * What a browser asks the root for: the page (the console) and an icon. Relative Locations, so
 * behind an API prefix (/api/ → /api/console) they stay under it.
 */
@ApiTags('console')
@Public()
@Controller()
export class RootController {
  @Get()
  @ApiOperation({ summary: 'Redirects a browser to the HITL console' })
  @ApiFoundResponse({ description: 'Location: console' })
  root(@Res() res: Response): void {
    res.redirect(302, 'console');
  }

  @Get('favicon.ico')
  @ApiOperation({ summary: 'The console’s icon, for browsers that ask the root for one' })
  @ApiMovedPermanentlyResponse({ description: 'Location: console/favicon.svg' })
  favicon(@Res() res: Response): void {
    res.redirect(301, 'console/favicon.svg');
  }
}
