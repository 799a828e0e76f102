import type { Page } from 'playwright-core';

/*
 * Accessibility checks the console's browser tests run on each new screen: every control has a
 * name, and text keeps its contrast.
 */

/** Inputs, selects, text areas and buttons without a label, aria-label or (buttons) text. */
export async function unlabelledControls(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll('input, select, textarea, button'))
      .filter((element) => {
        const control = element as HTMLInputElement;
        const name = control.labels?.[0]?.textContent || element.getAttribute('aria-label') || (element.tagName === 'BUTTON' ? element.textContent : '');
        return !name?.trim();
      })
      .map((element) => element.outerHTML.slice(0, 120)),
  );
}

/**
 * Texts whose colour has less than 4.5:1 contrast (WCAG AA) with the background behind them;
 * disabled controls are exempt. Walks up to the first opaque background.
 */
export async function lowContrastTexts(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const rgb = (value: string): number[] => (value.match(/[\d.]+/g) ?? []).map(Number);
    const luminance = ([r, g, b]: number[]): number => {
      const [R, G, B] = [r!, g!, b!].map((c) => {
        const s = c / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * R! + 0.7152 * G! + 0.0722 * B!;
    };
    const background = (element: Element | null): number[] => {
      for (let node = element; node; node = node.parentElement) {
        const color = rgb(getComputedStyle(node).backgroundColor);
        if (color.length === 3 || (color.length === 4 && color[3]! > 0.9)) return color.slice(0, 3);
      }
      return [255, 255, 255];
    };
    const failures: string[] = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let text = walker.nextNode(); text; text = walker.nextNode()) {
      const element = text.parentElement;
      if (!element || !text.textContent?.trim() || element.closest('[disabled], [hidden], .visually-hidden, noscript, option')) continue;
      const box = element.getBoundingClientRect();
      if (box.width === 0 || box.height === 0) continue;
      const [fg, bg] = [luminance(rgb(getComputedStyle(element).color)), luminance(background(element))];
      const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
      if (ratio < 4.5) failures.push(`${ratio.toFixed(2)} ${element.className || element.tagName}: ${text.textContent.trim().slice(0, 40)}`);
    }
    return failures;
  });
}
