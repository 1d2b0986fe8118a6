/** The flags API: rules (as text and one by one), docs, changelog, evaluation and usage. */
import {
  Body, Controller, DefaultValuePipe, Delete, Get, HttpCode, Inject, Param, ParseIntPipe, Patch, Post, Put, Query, type PipeTransform,
} from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, DomainError, type Principal, Roles } from '@runway/platform';
import { FLAG_NAME } from '@runway/sdk';
import { InvalidContextError, toFlagContext } from './context';
import {
  AddRuleDto, ChangelogQuery, CheckRulesDto, EvaluateDto, EvaluateOneDto, FlagDocDto, RemoveRuleDto, ReplaceRulesDto, UpdateRuleDto, UsageDto,
} from './dto/flags.dto';
import { FlagsService } from './flags.service';

class FlagNamePipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!FLAG_NAME.test(value)) throw new DomainError('VALIDATION_FAILED', `flag: "${value}" is not a flag name`, { fields: [{ field: 'flag', errors: ['not a flag name'] }] });
    return value;
  }
}

function context(raw: unknown) {
  try {
    return toFlagContext(raw);
  } catch (e) {
    if (e instanceof InvalidContextError) throw new DomainError('VALIDATION_FAILED', e.message, { fields: [{ field: 'context', errors: [e.message] }] });
    throw e;
  }
}

@ApiTags('flags')
@ApiBearerAuth()
@Controller()
export class FlagsController {
  constructor(@Inject(FlagsService) private readonly flags: FlagsService) {}

  @Get('rules')
  rules(@Query('flag') flag?: string, @Query('scope') scope?: string) {
    return this.flags.rulesText({ flag, scope });
  }

  @Put('rules')
  @Roles('flag-editor')
  replace(@Body() dto: ReplaceRulesDto, @CurrentPrincipal() who: Principal) {
    return this.flags.replaceText(dto.text, dto.comment, who.name, dto.expectedVersion);
  }

  @Post('rules/check')
  @HttpCode(200)
  @Roles('viewer')
  check(@Body() dto: CheckRulesDto) {
    return this.flags.check(dto.text);
  }

  @Post('flags/:flag/rules')
  @Roles('flag-editor')
  add(@Param('flag', FlagNamePipe) flag: string, @Body() dto: AddRuleDto, @CurrentPrincipal() who: Principal) {
    return this.flags.addRule(flag, { scope: dto.scope, priority: dto.priority, value: dto.value }, dto.comment, who.name);
  }

  @Patch('flags/:flag/rules/:priority')
  @Roles('flag-editor')
  update(
    @Param('flag', FlagNamePipe) flag: string, @Param('priority', ParseIntPipe) priority: number, @Body() dto: UpdateRuleDto, @CurrentPrincipal() who: Principal,
  ) {
    const { comment, ...patch } = dto;
    return this.flags.updateRule(flag, priority, patch, comment, who.name);
  }

  @Delete('flags/:flag/rules/:priority')
  @Roles('flag-editor')
  remove(
    @Param('flag', FlagNamePipe) flag: string, @Param('priority', ParseIntPipe) priority: number, @Body() dto: RemoveRuleDto,
    @CurrentPrincipal() who: Principal, @Query('comment') queryComment?: string,
  ) {
    const comment = dto?.comment ?? queryComment;
    if (!comment || comment.trim().length < 3) {
      throw new DomainError('VALIDATION_FAILED', 'comment: a comment of 3 characters or more is required', { fields: [{ field: 'comment', errors: ['required'] }] });
    }
    return this.flags.removeRule(flag, priority, comment, who.name);
  }

  @Get('flags')
  async list() {
    return { flags: await this.flags.flags() };
  }

  @Get('flags/stale')
  async stale(@Query('days', new DefaultValuePipe(30), ParseIntPipe) days: number) {
    return { days, flags: await this.flags.stale(Math.max(0, days)) };
  }

  @Get('flags/:flag')
  flag(@Param('flag', FlagNamePipe) flag: string) {
    return this.flags.flag(flag);
  }

  @Put('flags/:flag')
  @Roles('flag-editor')
  document(@Param('flag', FlagNamePipe) flag: string, @Body() dto: FlagDocDto, @CurrentPrincipal() who: Principal) {
    return this.flags.putDoc(
      { name: flag, title: dto.title, description: dto.description ?? '', domain: dto.domain, default: dto.default ?? null }, dto.comment, who.name,
    );
  }

  @Get('undocumented')
  undocumented() {
    return this.flags.undocumented();
  }

  @Get('changelog')
  changelog(@Query() q: ChangelogQuery) {
    return this.flags.changelog({ flag: q.flag, limit: q.limit ?? 50, before: q.before });
  }

  @Post('evaluate')
  @HttpCode(200)
  @Roles('viewer', 'sdk')
  evaluate(@Body() dto: EvaluateDto) {
    return this.flags.evaluateAll(context(dto.context), dto.flags, dto.explain ?? false);
  }

  @Post('evaluate/:flag')
  @HttpCode(200)
  @Roles('viewer', 'sdk')
  explain(@Param('flag', FlagNamePipe) flag: string, @Body() dto: EvaluateOneDto) {
    const x = this.flags.explain(flag, context(dto.context));
    return { flag: x.flag, value: x.value ?? null, reason: x.reason, rule: x.rule ?? null, explain: { activeScopes: x.activeScopes, steps: x.steps } };
  }

  @Post('usage')
  @HttpCode(202)
  @Roles('sdk')
  usage(@Body() dto: UsageDto) {
    this.flags.report(dto);
    return { accepted: true };
  }
}
