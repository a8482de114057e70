// A few DOM helpers: the page is small enough not to need a framework.

/**
 * @typedef {Node | string | number | null | undefined | false} Child
 */

/**
 * Creates an element. `attrs` keys: `class`, `text`, `on<event>` (listeners), `dataset`,
 * booleans (set when true), anything else as an attribute.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, unknown> | null} [attrs]
 * @param {...(Child | Child[])} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") el.className = String(v);
    else if (k === "text") el.textContent = String(v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k.startsWith("on") && typeof v === "function") {
      el.addEventListener(k.slice(2), /** @type {EventListener} */ (v));
    } else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

/** @param {Element} el @param {(Child | Child[])[]} children */
function append(el, children) {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === "number" ? String(c) : c);
  }
}

/**
 * The element with this id, checked to be of the expected type.
 * @template {Element} T
 * @param {string} id
 * @param {{ new (): T }} type
 * @returns {T}
 */
export function byId(id, type) {
  const el = document.getElementById(id);
  if (!(el instanceof type)) throw new Error(`#${id} is missing or not a ${type.name}`);
  return el;
}

/**
 * The first element matching `selector` under `root`, checked to be of the expected type.
 * @template {Element} T
 * @param {ParentNode} root
 * @param {string} selector
 * @param {{ new (): T }} type
 * @returns {T}
 */
export function one(root, selector, type) {
  const el = root.querySelector(selector);
  if (!(el instanceof type)) throw new Error(`${selector} is missing or not a ${type.name}`);
  return el;
}

/** Replaces the children of `el`. @param {Element} el @param {...(Child | Child[])} children */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

/**
 * Roving focus over a list of cells (one tab stop for the whole list, arrow keys move):
 * the keyboard pattern of a grid, without a grid's row/column semantics.
 * @param {HTMLElement} container
 * @param {() => HTMLElement[]} cells the cells, in reading order
 * @param {() => number} rowLength cells per visual row (for Up/Down)
 */
export function rovingFocus(container, cells, rowLength) {
  container.addEventListener("keydown", (e) => {
    const list = cells();
    const i = list.indexOf(/** @type {HTMLElement} */ (document.activeElement));
    if (i < 0) return;
    const step = {
      ArrowRight: 1,
      ArrowLeft: -1,
      ArrowDown: rowLength(),
      ArrowUp: -rowLength(),
      Home: -i,
      End: list.length - 1 - i,
    }[e.key];
    if (step === undefined) return;
    e.preventDefault();
    const next = list[Math.max(0, Math.min(list.length - 1, i + step))];
    focusCell(list, next);
  });
}

/**
 * Makes `cell` the list's tab stop and focuses it.
 * @param {HTMLElement[]} list @param {HTMLElement} cell
 */
export function focusCell(list, cell) {
  for (const c of list) c.tabIndex = c === cell ? 0 : -1;
  cell.focus();
}

/**
 * Scrolls `row` into view inside its scrolling `box` only (never the page, as
 * `scrollIntoView` would). `box` must be positioned (it is the rows' offsetParent).
 * @param {HTMLElement} box @param {HTMLElement} row
 */
export function scrollWithin(box, row) {
  const top = row.offsetTop;
  const head = /** @type {HTMLElement | null} */ (box.querySelector("thead"))?.offsetHeight ?? 0;
  if (top - head < box.scrollTop) box.scrollTop = top - head;
  else if (top + row.offsetHeight > box.scrollTop + box.clientHeight) {
    box.scrollTop = top + row.offsetHeight - box.clientHeight;
  }
}
