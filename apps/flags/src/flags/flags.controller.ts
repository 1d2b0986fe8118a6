/** The flags API: rules (as text and one by one), docs, changelog, evaluation and usage. */
import {
  Body, Controller, DefaultValuePipe, Delete, Get, Inject, Param, ParseIntPipe, Patch, Post, Put, Query, type PipeTransform,
} from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import {
  type Changelog, ChangelogSchema, type DocumentedFlag, DocumentedFlagSchema, type Evaluations, EvaluationsSchema, type FlagDetail, FlagDetailSchema,
  type FlagExplanation, FlagExplanationSchema, type FlagList, FlagListSchema, type RuleChange, RuleChangeSchema, type RulesCheck, RulesCheckSchema,
  type RuleSet, RuleSetSchema, type StaleFlags, StaleFlagsSchema, type Undocumented, UndocumentedSchema, type UsageAccepted, UsageAcceptedSchema,
} from '@runway/contracts';
import { asJson, CurrentPrincipal, DomainError, type Principal, Responds, Roles } from '@runway/platform';
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
  @Responds({ summary: 'The rules (of one flag or scope, if asked), and the same as text', status: 200, body: RuleSetSchema })
  rules(@Query('flag') flag?: string, @Query('scope') scope?: string): RuleSet {
    return this.flags.rulesText({ flag, scope });
  }

  @Put('rules')
  @Roles('flag-editor')
  @Responds({
    summary: 'Replaces the whole rule set; any line error rejects all of it (`errors`)', status: 200, body: RuleChangeSchema, errors: [400, 403, 409],
  })
  replace(@Body() dto: ReplaceRulesDto, @CurrentPrincipal() who: Principal): Promise<RuleChange> {
    return this.flags.replaceText(dto.text, dto.comment, who.name, dto.expectedVersion);
  }

  @Post('rules/check')
  @Roles('viewer')
  @Responds({ summary: 'What replacing the rule set with a text would do, changing nothing', status: 200, body: RulesCheckSchema, errors: [400, 403] })
  check(@Body() dto: CheckRulesDto): RulesCheck {
    return this.flags.check(dto.text);
  }

  @Post('flags/:flag/rules')
  @Roles('flag-editor')
  @Responds({ summary: 'Adds a rule to a flag', status: 201, body: RuleChangeSchema, errors: [400, 403, 409] })
  add(@Param('flag', FlagNamePipe) flag: string, @Body() dto: AddRuleDto, @CurrentPrincipal() who: Principal): Promise<RuleChange> {
    return this.flags.addRule(flag, { scope: dto.scope, priority: dto.priority, value: dto.value }, dto.comment, who.name);
  }

  @Patch('flags/:flag/rules/:priority')
  @Roles('flag-editor')
  @Responds({ summary: 'Changes the scope, priority or value of a flag\'s rule', status: 200, body: RuleChangeSchema, errors: [400, 403, 404] })
  update(
    @Param('flag', FlagNamePipe) flag: string, @Param('priority', ParseIntPipe) priority: number, @Body() dto: UpdateRuleDto, @CurrentPrincipal() who: Principal,
  ): Promise<RuleChange> {
    const { comment, ...patch } = dto;
    return this.flags.updateRule(flag, priority, patch, comment, who.name);
  }

  @Delete('flags/:flag/rules/:priority')
  @Roles('flag-editor')
  @Responds({ summary: 'Removes a flag\'s rule, with a comment (in the body or the query)', status: 200, body: RuleChangeSchema, errors: [400, 403, 404] })
  remove(
    @Param('flag', FlagNamePipe) flag: string, @Param('priority', ParseIntPipe) priority: number, @Body() dto: RemoveRuleDto,
    @CurrentPrincipal() who: Principal, @Query('comment') queryComment?: string,
  ): Promise<RuleChange> {
    const comment = dto?.comment ?? queryComment;
    if (!comment || comment.trim().length < 3) {
      throw new DomainError('VALIDATION_FAILED', 'comment: a comment of 3 characters or more is required', { fields: [{ field: 'comment', errors: ['required'] }] });
    }
    return this.flags.removeRule(flag, priority, comment, who.name);
  }

  @Get('flags')
  @Responds({ summary: 'Every flag with rules or docs: its docs, how many rules, and its usage', status: 200, body: FlagListSchema })
  async list(): Promise<FlagList> {
    return asJson({ flags: await this.flags.flags() });
  }

  @Get('flags/stale')
  @Responds({ summary: 'Flags not evaluated for `days` days (30 by default)', status: 200, body: StaleFlagsSchema, errors: [400] })
  async stale(@Query('days', new DefaultValuePipe(30), ParseIntPipe) days: number): Promise<StaleFlags> {
    return asJson({ days, flags: await this.flags.stale(Math.max(0, days)) });
  }

  @Get('flags/:flag')
  @Responds({ summary: 'One flag: its docs, usage and rules', status: 200, body: FlagDetailSchema, errors: [400, 404] })
  flag(@Param('flag', FlagNamePipe) flag: string): Promise<FlagDetail> {
    return asJson(this.flags.flag(flag));
  }

  @Put('flags/:flag')
  @Roles('flag-editor')
  @Responds({ summary: 'Documents a flag: title, description, value domain and default', status: 200, body: DocumentedFlagSchema, errors: [400, 403] })
  document(@Param('flag', FlagNamePipe) flag: string, @Body() dto: FlagDocDto, @CurrentPrincipal() who: Principal): Promise<DocumentedFlag> {
    return this.flags.putDoc(
      { name: flag, title: dto.title, description: dto.description ?? '', domain: dto.domain, default: dto.default ?? null }, dto.comment, who.name,
    );
  }

  @Get('undocumented')
  @Responds({ summary: 'Flags evaluated but never documented, and scopes no rule understands', status: 200, body: UndocumentedSchema })
  undocumented(): Promise<Undocumented> {
    return asJson(this.flags.undocumented());
  }

  @Get('changelog')
  @Responds({ summary: 'Rule and doc changes, newest first, with their diffs', status: 200, body: ChangelogSchema, errors: [400] })
  changelog(@Query() q: ChangelogQuery): Promise<Changelog> {
    return asJson(this.flags.changelog({ flag: q.flag, limit: q.limit ?? 50, before: q.before }));
  }

  @Post('evaluate')
  @Roles('viewer', 'sdk')
  @Responds({
    summary: 'Every flag (or the named ones) that has a value for a context; with `explain`, why', status: 200, body: EvaluationsSchema, errors: [400, 403],
  })
  evaluate(@Body() dto: EvaluateDto): Evaluations {
    return this.flags.evaluateAll(context(dto.context), dto.flags, dto.explain ?? false);
  }

  @Post('evaluate/:flag')
  @Roles('viewer', 'sdk')
  @Responds({
    summary: 'One flag\'s value for a context, which scopes were active, and why each rule did or did not apply',
    status: 200, body: FlagExplanationSchema, errors: [400, 403, 404],
  })
  explain(@Param('flag', FlagNamePipe) flag: string, @Body() dto: EvaluateOneDto): FlagExplanation {
    const x = this.flags.explain(flag, context(dto.context));
    return { flag: x.flag, value: x.value ?? null, reason: x.reason, rule: x.rule ?? null, explain: { activeScopes: x.activeScopes, steps: x.steps } };
  }

  @Post('usage')
  @Roles('sdk')
  @Responds({ summary: 'An SDK reports evaluation counts and undocumented flags and scopes', status: 202, body: UsageAcceptedSchema, errors: [400, 403] })
  usage(@Body() dto: UsageDto): UsageAccepted {
    this.flags.report(dto);
    return { accepted: true };
  }
}
