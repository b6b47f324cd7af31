// Focus asked for by the keyboard: the model names where it should go (`state.focus`), the element's view moves it
// there once it is drawn, even if that element appears only with the change that asked for it.

import { useEffect } from "../vendor/htm-preact/standalone.module.js";

let handled = 0; // the last request honoured: an element drawn later never takes the focus for an old one

/** Focuses `ref`'s element when the latest request (`focus`: `{on, seq}`) names `target`. */
export function useFocusRequest(focus, target, ref) {
  useEffect(() => {
    if (focus.on !== target || focus.seq <= handled || !ref.current) return;
    handled = focus.seq;
    ref.current.focus();
  });
}
