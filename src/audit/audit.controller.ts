import { Controller, Get, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiForbiddenResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../auth/auth-user';
import { CurrentUser } from '../auth/current-user.decorator';
import { ApiAuthed } from '../common/swagger';
import { AuditService, AuditPage } from './audit.service';
import { AuditPageDto } from './dto/audit-record.dto';
import { AuditQuery } from './dto/audit-query';

@ApiTags('audit')
@ApiAuthed()
@Controller('aura/audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @ApiOperation({
    summary: "The tenant's audit trail: every approval request and decision, newest first",
    description:
      'Kept AUDIT_RETENTION_DAYS whatever RUN_TTL_SECONDS is. With AUDIT_ROLE set only its holders read it; otherwise as the inbox (with HITL_APPROVER_ROLE set, a user without it sees the records of their own runs). Another tenant’s records are never listed.',
  })
  @ApiOkResponse({ type: AuditPageDto })
  @ApiBadRequestResponse({ description: 'Bad from, to, sessionId, limit or cursor' })
  @ApiForbiddenResponse({ description: 'AUDIT_ROLE is set and the caller lacks it' })
  list(@CurrentUser() user: AuthUser, @Query() query: AuditQuery): Promise<AuditPage> {
    return this.audit.list(user, query);
  }
}
