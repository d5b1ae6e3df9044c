import {
  Body,
  Controller,
  Get,
  HttpStatus,
  Param,
  Post,
  Redirect,
  Render,
  Req,
  Res,
  UseFilters,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { acceptForm, FormRejection, FormRejectionFilter, orReject } from '../../common/html-form';
import { PrismaService } from '../database/prisma.service';
import { Actor } from './actor.decorator';
import { AddUserDto, SetRoleDto } from './dto/user.dto';
import { Requires } from './roles';
import { setFlash, signedInUser } from './session';
import { UserIdPipe } from './user-id.pipe';
import { EMPTY_USER_FORM, enteredUser, UsersForm, usersPageModel } from './users-page.model';
import { UserChangeRefused, UsersService } from './users.service';

const VIEW = 'administration/users';
const PAGE = '/administration/users';

/** The Users page (administrators only): every user and their role; add, change the role of, remove. */
@Requires('administrator')
@Controller('administration/users')
@UseFilters(FormRejectionFilter)
export class UsersController {
  constructor(
    private readonly users: UsersService,
    private readonly prisma: PrismaService,
  ) {}

  @Get()
  @Render(VIEW)
  show(@Req() request: Request) {
    return this.pageModel(request, EMPTY_USER_FORM);
  }

  /** Adds a user; the page shows the generated password once (in this answer only, never in the session). */
  @Post()
  async add(
    @Body() body: unknown,
    @Actor() actor: string,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    const values = enteredUser(body);
    const again = async (status: number, errors: Record<string, string>, formError?: string) =>
      new FormRejection(VIEW, status, await this.pageModel(request, { values, errors, formError }));
    const value = await acceptForm(AddUserDto, body, (errors) => again(HttpStatus.BAD_REQUEST, errors));
    const password = await orReject(this.users.add(value.username, value.role, actor), (error) =>
      error instanceof UserChangeRefused ? again(error.status, {}, error.message) : undefined,
    );
    response
      .status(HttpStatus.CREATED)
      .set('Cache-Control', 'no-store')
      .render(
        VIEW,
        await this.pageModel(request, EMPTY_USER_FORM, {
          username: value.username,
          role: value.role,
          password,
        }),
      );
  }

  @Post(':id/role')
  @Redirect(PAGE, 303)
  async setRole(
    @Param('id', UserIdPipe) id: string,
    @Body() body: unknown,
    @Actor() actor: string,
    @Req() request: Request,
  ): Promise<void> {
    const value = await acceptForm(SetRoleDto, body, (errors) =>
      this.refusal(request, HttpStatus.BAD_REQUEST, `Nothing was changed: ${errors.role}.`),
    );
    const { username, previous } = await orReject(this.users.setRole({ id }, value.role, actor), (error) =>
      error instanceof UserChangeRefused ? this.refusal(request, error.status, error.message) : undefined,
    );
    setFlash(
      request,
      previous === value.role
        ? `"${username}" is ${value.role} already.`
        : `"${username}" is now ${value.role} (was ${previous}), from their next request on.`,
    );
  }

  @Post(':id/remove')
  @Redirect(PAGE, 303)
  async remove(
    @Param('id', UserIdPipe) id: string,
    @Actor() actor: string,
    @Req() request: Request,
  ): Promise<void> {
    const username = await orReject(this.users.remove({ id }, actor), (error) =>
      error instanceof UserChangeRefused ? this.refusal(request, error.status, error.message) : undefined,
    );
    setFlash(request, `Removed the user "${username}"; their sessions ended on every node.`);
  }

  /** The page again with why nothing changed. */
  private async refusal(request: Request, status: number, formError: string): Promise<FormRejection> {
    return new FormRejection(VIEW, status, await this.pageModel(request, { ...EMPTY_USER_FORM, formError }));
  }

  private async pageModel(request: Request, form: UsersForm, created?: Parameters<typeof usersPageModel>[4]) {
    const [users, nowMs] = await Promise.all([this.users.list(), this.prisma.databaseNowMs()]);
    return usersPageModel(users, nowMs, signedInUser(request)?.id ?? null, form, created);
  }
}
