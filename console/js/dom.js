/**
 * DOM from data, never from HTML strings: every value the API returns ends up in a text node or
 * an attribute, so nothing it says can become markup or script.
 */

/** Properties set on the element itself rather than as attributes (they reflect live state). */
const PROPERTIES = new Set(['value', 'checked', 'disabled', 'selected', 'hidden', 'open', 'indeterminate', 'multiple', 'required']);

/**
 * `h('button', { class: 'primary', onClick: save }, 'Save')`. Attribute values of false, null or
 * undefined are left out; true becomes an empty attribute; `on<Event>` adds a listener.
 * Children may be nodes, strings, numbers, arrays of them, or false/null/undefined (skipped).
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') element.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : value;
    else if (name === 'dataset') Object.assign(element.dataset, value);
    else if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2).toLowerCase(), value);
    else if (PROPERTIES.has(name)) element[name] = value;
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

/** Replaces every child of `parent`. */
export function replace(parent, ...children) {
  parent.replaceChildren();
  return append(parent, children);
}

let counter = 0;
/** A document-unique id for label/aria wiring. */
export function uid(prefix = 'id') {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** A labelled form field: label, control, hint and a slot for its error message. */
export function field({ label, control, hint, path, className }) {
  const id = control.id || uid('field');
  control.id = id;
  const hintEl = hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null;
  const errorEl = h('p', { class: 'field-error', id: `${id}-error`, hidden: true });
  const describedBy = [hintEl?.id, errorEl.id].filter(Boolean).join(' ');
  control.setAttribute('aria-describedby', describedBy);
  if (path !== undefined) control.dataset.path = path;
  const wrapper = h('div', { class: ['field', className] }, h('label', { for: id }, label), hintEl, control, errorEl);
  if (path !== undefined) wrapper.dataset.fieldPath = path;
  return wrapper;
}

/** A `<select>` of `[value, label]` pairs (or plain values). */
export function select(options, selected, attributes = {}) {
  return h(
    'select',
    attributes,
    options.map((option) => {
      const [value, label] = Array.isArray(option) ? option : [option, option];
      return h('option', { value, selected: String(value) === String(selected) }, label);
    }),
  );
}
