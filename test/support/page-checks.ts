import { readFileSync } from 'node:fs';
import { HtmlValidate } from 'html-validate';
import type { Page, Response } from 'playwright-core';

const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
// A group of checkboxes under one name is how a form sends a list (Notifications: the events to send); the
// recommended preset allows that sharing for radio buttons only.
const validator = new HtmlValidate({
  extends: ['html-validate:recommended'],
  rules: { 'form-dup-name': ['error', { shared: ['radio', 'checkbox', 'button', 'reset', 'submit'] }] },
});

interface AxeViolation {
  id: string;
  help: string;
  nodes: { target: string[] }[];
}

/** What axe-core (violations) and html-validate's recommended rules (errors) found in one page. */
export interface PageFindings {
  axe: string[];
  html: string[];
}

/**
 * Checks the document that `action` leads to (after redirects; with `origin`, the first of that site's):
 * axe-core in the browser, html-validate on the HTML the server sent. The page's browser context must
 * bypass the pages' CSP (axe is injected inline).
 */
export function pageChecker(page: Page) {
  const check = async (action: () => Promise<unknown>, origin?: string): Promise<PageFindings> => {
    const [response] = await Promise.all([
      page.waitForResponse(
        (r: Response) =>
          r.request().isNavigationRequest() &&
          r.status() !== 303 &&
          (origin === undefined || r.url().startsWith(`${origin}/`)),
      ),
      action(),
    ]);
    const html = await response.text();
    await page.waitForLoadState('load');
    await page.addScriptTag({ content: AXE_SOURCE });
    const violations = await page.evaluate<AxeViolation[]>(
      `axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({ id: v.id, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) })))`,
    );
    const report = await validator.validateString(html);
    const htmlErrors = report.results.flatMap((result) =>
      result.messages.map((m) => `${m.ruleId} (line ${m.line}): ${m.message}`),
    );
    return {
      axe: violations.map(
        (v) => `${v.id}: ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
      ),
      html: htmlErrors,
    };
  };
  return {
    check,
    submit: (button: string) => check(() => page.getByRole('button', { name: button }).click()),
  };
}
