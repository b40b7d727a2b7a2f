// A labelled input for a value of one type, checked as it is typed and again before
// anything is sent: what the type's entry in types.js refuses never reaches the station.
import { el } from './format.js';
import { renderValue, typeEntry } from './types.js';

let nextId = 0;

/**
 * Returns { element, read, focus }. `read()` gives the value to send, or shows why the input
 * is invalid and throws.
 */
export function valueInput(type, { label = 'Value', initial, hasInitial = false } = {}) {
  const entry = typeEntry(type);
  const id = `value-${++nextId}`;
  const hint = el('span', { id: `${id}-hint`, className: 'hint' }, `${type}: ${entry.describe}`);
  // polite, not an alert: it changes as the user types
  const problem = el('span', { id: `${id}-problem`, className: 'field-error', 'aria-live': 'polite' });
  const preview = el('span', { className: 'preview', 'aria-hidden': 'true' });
  const control = controlFor(entry, id);

  if (control === undefined) {
    return {
      element: el('div', { className: 'field' }, el('span', { className: 'label' }, label), hint),
      read: () => entry.parse(''),
      focus() {},
    };
  }
  control.setAttribute('aria-describedby', `${id}-hint ${id}-problem`);
  if (hasInitial) {
    if (entry.input === 'checkbox') control.checked = entry.toText(initial);
    else control.value = entry.toText(initial);
  } else if (entry.input === 'json' && entry.structured) {
    control.value = entry.toText();
  }

  const parse = () => entry.parse(entry.input === 'checkbox' ? control.checked : control.value);
  const show = (message) => {
    problem.textContent = message;
    if (message) control.setAttribute('aria-invalid', 'true');
    else control.removeAttribute('aria-invalid');
  };
  const check = () => {
    // an empty field is not wrong yet, only unfinished; read() still refuses it
    if (entry.input !== 'checkbox' && control.value.trim() === '') {
      show('');
      preview.replaceChildren();
      return;
    }
    try {
      const value = parse();
      show('');
      // geometry, arrays and chain values are easier to check when seen as they will look
      preview.replaceChildren(entry.group === 'scalar' || entry.input === 'json' ? '' : renderValue(type, value));
    } catch (error) {
      show(error.message);
      preview.replaceChildren();
    }
  };
  control.addEventListener('input', check);
  control.addEventListener('change', check);

  const labelElement = el('label', { for: id, className: 'label' }, label);
  const element =
    entry.input === 'checkbox'
      ? el('div', { className: 'field checkbox' }, control, labelElement, hint, problem)
      : el('div', { className: 'field' }, labelElement, control, hint, preview, problem);
  return {
    element,
    read() {
      try {
        const value = parse();
        show('');
        return value;
      } catch (error) {
        show(error.message);
        control.focus();
        throw error;
      }
    },
    focus: () => control.focus(),
  };
}

function controlFor(entry, id) {
  switch (entry.input) {
    case 'none':
      return undefined;
    case 'checkbox':
      return el('input', { type: 'checkbox', id });
    case 'textarea':
    case 'json':
      return el('textarea', { id, rows: entry.input === 'json' ? 4 : 2, spellcheck: 'false', autocomplete: 'off' });
    default:
      return el('input', { type: 'text', id, inputmode: entry.inputMode, spellcheck: 'false', autocomplete: 'off' });
  }
}
