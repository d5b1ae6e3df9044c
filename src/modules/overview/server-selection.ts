import { BadRequestException, Injectable, PipeTransform } from '@nestjs/common';
import { controlCharacterProblem } from '../../common/text-rules';
import type { Status } from '../cluster/component-rules';
import type { ServerReport } from './cluster-report';

/** Which servers a page or an API answer shows: a filter by status and name, then a slice. */
export interface ServerSelection {
  /** The statuses shown; null for all. */
  statuses: Status[] | null;
  /** Shown when the name contains this, ignoring case; null for all. */
  name: string | null;
  offset: number;
  /** Null: every matching server. */
  limit: number | null;
}

export const ALL_SERVERS: ServerSelection = { statuses: null, name: null, offset: 0, limit: null };
export const STATUSES: readonly Status[] = ['ok', 'warning', 'error'];
/** The most servers one API answer may be asked for by `limit` (without `limit`, all are returned). */
export const MAX_LIMIT = 1_000;
const MAX_NAME_FILTER = 100;

const SEVERITY: Record<Status, number> = { error: 0, warning: 1, ok: 2 };

/**
 * The matching servers, in the given order ('name' keeps the report's order; 'problems-first' puts errors,
 * then warnings, before healthy servers, each by name), and how many matched before the slice.
 */
export function selectServers(
  servers: ServerReport[],
  selection: ServerSelection,
  order: 'name' | 'problems-first',
): { matched: number; servers: ServerReport[] } {
  const name = selection.name?.toLowerCase() ?? null;
  const matching = servers.filter(
    (server) =>
      (selection.statuses === null || selection.statuses.includes(server.status)) &&
      (name === null || server.name.toLowerCase().includes(name)),
  );
  // Array.prototype.sort is stable: servers of one status keep the report's order by name.
  if (order === 'problems-first') matching.sort((a, b) => SEVERITY[a.status] - SEVERITY[b.status]);
  const end = selection.limit === null ? undefined : selection.offset + selection.limit;
  return { matched: matching.length, servers: matching.slice(selection.offset, end) };
}

type Query = Record<string, unknown>;

/**
 * `@Query(ApiSelectionPipe)`: the API's query as a ServerSelection. A pipe rather than a DTO under the global
 * ValidationPipe, which refuses parameters it does not know: this query ignores them, as documented.
 */
@Injectable()
export class ApiSelectionPipe implements PipeTransform<unknown, ServerSelection> {
  transform(query: unknown): ServerSelection {
    return apiSelection(asQuery(query));
  }
}

/** `@Query(PageSelectionPipe)`: the overview page's query as a PageRequest (50 servers a page). */
@Injectable()
export class PageSelectionPipe implements PipeTransform<unknown, PageRequest> {
  transform(query: unknown): PageRequest {
    return pageSelection(asQuery(query), SERVERS_PER_PAGE);
  }
}

function asQuery(query: unknown): Query {
  return typeof query === 'object' && query !== null ? (query as Query) : {};
}

/**
 * GET /api/cluster's query: `status` (ok, warning, error, or several separated by commas), `name` (part of
 * a server name), `offset` and `limit`. Anything else in the query is ignored. Throws a 400 naming the
 * parameter for a value it cannot use.
 */
export function apiSelection(query: Query): ServerSelection {
  const status = single(query, 'status');
  const limit = single(query, 'limit');
  return {
    statuses: status === null ? null : statusList(status),
    name: nameFilter(query),
    offset: wholeNumber(single(query, 'offset'), 'offset', 0, Number.MAX_SAFE_INTEGER) ?? 0,
    limit: limit === null ? null : wholeNumber(limit, 'limit', 1, MAX_LIMIT),
  };
}

/** The overview page's filter: `status` (all, problem, error, warning, ok), `name` and `page` (from 1). */
export type PageStatusFilter = 'all' | 'problem' | Status;
export const PAGE_STATUS_FILTERS: readonly PageStatusFilter[] = ['all', 'problem', 'error', 'warning', 'ok'];

/** What the overview page was asked to show. */
export interface PageRequest {
  selection: ServerSelection;
  status: PageStatusFilter;
  page: number;
}

/** Servers on one page of the overview; the rest are a click away, and a page stays small at any size. */
export const SERVERS_PER_PAGE = 50;

export function pageSelection(query: Query, perPage: number): PageRequest {
  const given = single(query, 'status') ?? 'all';
  if (!(PAGE_STATUS_FILTERS as readonly string[]).includes(given)) {
    throw new BadRequestException(
      `status must be one of ${PAGE_STATUS_FILTERS.join(', ')} (got "${shown(given)}").`,
    );
  }
  const status = given as PageStatusFilter;
  const page = wholeNumber(single(query, 'page'), 'page', 1, 1_000_000) ?? 1;
  const statuses: Status[] | null =
    status === 'all' ? null : status === 'problem' ? ['error', 'warning'] : [status];
  return {
    selection: { statuses, name: nameFilter(query), offset: (page - 1) * perPage, limit: perPage },
    status,
    page,
  };
}

function single(query: Query, parameter: string): string | null {
  const value = query[parameter];
  if (value === undefined || value === '') return null;
  if (typeof value !== 'string') throw new BadRequestException(`Give the ${parameter} parameter once.`);
  return value;
}

function statusList(value: string): Status[] {
  const statuses = value.split(',').map((part) => part.trim());
  const unknown = statuses.filter((part) => !(STATUSES as readonly string[]).includes(part));
  if (unknown.length > 0) {
    throw new BadRequestException(
      `status must be ok, warning or error, or several separated by commas (got "${shown(unknown[0])}").`,
    );
  }
  return [...new Set(statuses)] as Status[];
}

function nameFilter(query: Query): string | null {
  const name = single(query, 'name')?.normalize('NFC').trim() || null;
  if (name === null) return null;
  if (name.length > MAX_NAME_FILTER)
    throw new BadRequestException(`name must be at most ${MAX_NAME_FILTER} characters.`);
  const problem = controlCharacterProblem(name);
  if (problem) throw new BadRequestException(`name ${problem}.`);
  return name;
}

function wholeNumber(value: string | null, parameter: string, min: number, max: number): number | null {
  if (value === null) return null;
  const number = /^\d{1,16}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < min || number > max) {
    throw new BadRequestException(
      `${parameter} must be a whole number from ${min} to ${max} (got "${shown(value)}").`,
    );
  }
  return number;
}

/** A bad value, quoted back briefly and without control characters. */
function shown(value: string): string {
  const printable = value.replace(/[\p{Cc}\p{Cf}\p{Cs}]/gu, '?');
  return printable.length > 40 ? `${printable.slice(0, 40)}…` : printable;
}
