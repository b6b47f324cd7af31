// Components that draw again only when their data changed.

import { Component } from "../vendor/htm-preact/standalone.module.js";

/**
 * `view(props)` as a component that skips drawing while every prop is the very value it had (`===`). Rows and
 * messages are replaced, never changed in place, when their data changes, and callbacks are stable, so in a list
 * of thousands only the entries an event touched are drawn again.
 */
export function pure(view) {
  return class Pure extends Component {
    shouldComponentUpdate(next) {
      const previous = this.props;
      for (const key in next) if (next[key] !== previous[key]) return true;
      for (const key in previous) if (!(key in next)) return true;
      return false;
    }

    render(props) {
      return view(props);
    }
  };
}
