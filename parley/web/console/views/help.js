// The keyboard shortcuts, listed where an agent finds them: `?`, or the top bar's button. The list is the very table
// the keys are looked up in (shortcuts.js).

import { html, useEffect, useRef } from "../vendor/htm-preact/standalone.module.js";
import { SHORTCUT_GROUPS } from "../shortcuts.js";

const Keys = ({ keys }) => keys.map((key, at) => html`${at ? " + " : ""}<kbd>${key}</kbd>`);

export function ShortcutsHelp({ model }) {
  const shown = model.state.help;
  const dialog = useRef(null);
  useEffect(() => {
    const element = dialog.current;
    if (shown && !element.open) element.showModal();
    else if (!shown && element.open) element.close();
  }, [shown]);

  return html`<dialog class="question shortcuts" aria-labelledby="shortcuts-title" ref=${dialog} onClose=${() => model.showHelp(false)}>
    ${shown
      ? html`<h2 id="shortcuts-title">Keyboard shortcuts</h2>
          ${SHORTCUT_GROUPS.map(
            (group) => html`<section key=${group.title}>
              <h3>${group.title}</h3>
              <dl>
                ${group.shortcuts.map(
                  (shortcut) => html`<div class="shortcut">
                    <dt><${Keys} keys=${shortcut.keys} /></dt>
                    <dd>${shortcut.does}</dd>
                  </div>`,
                )}
              </dl>
            </section>`,
          )}
          <form method="dialog" class="choices">
            <button type="submit" class="primary" autofocus>Close</button>
          </form>`
      : null}
  </dialog>`;
}
