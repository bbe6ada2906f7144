// The console's only stylesheet and script, served from its own origin (the Content-Security-
// Policy allows nothing else): no external resources, no inline code.

/** The stylesheet. */
export const CONSOLE_CSS = `:root{color-scheme:light dark;font-family:system-ui,sans-serif;line-height:1.45}
body{margin:0;background:Canvas;color:CanvasText}
header{display:flex;justify-content:space-between;align-items:center;padding:.6rem 1.2rem;border-bottom:1px solid #8884}
.brand{font-weight:700;text-decoration:none;color:inherit}
.account{display:flex;gap:.8rem;align-items:center}
.account form{margin:0}
main{max-width:72rem;margin:0 auto;padding:1rem 1.2rem 3rem}
table{border-collapse:collapse;width:100%}
caption{text-align:left;font-weight:600;padding:.4rem 0}
th,td{text-align:left;vertical-align:top;padding:.45rem .6rem;border-bottom:1px solid #8884}
code,pre{font-family:ui-monospace,monospace;font-size:.92em}
pre.request{white-space:pre-wrap;word-break:break-word;background:#8881;padding:.8rem;border-radius:.3rem}
code.request{white-space:pre-wrap;word-break:break-word}
.via{color:#777}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem}
dl.facts dt{font-weight:600}
dl.facts dd{margin:0}
.error{border-left:.3rem solid #c0392b;padding:.5rem .8rem;background:#c0392b1a}
.ok{border-left:.3rem solid #27ae60;padding:.5rem .8rem;background:#27ae601a}
form.vote{display:grid;gap:.5rem;max-width:36rem;margin-top:1rem}
textarea{font:inherit;padding:.4rem}
.buttons{display:flex;gap:.6rem}
button,.button{font:inherit;padding:.45rem 1rem;border-radius:.3rem;border:1px solid #8888;background:ButtonFace;color:ButtonText;cursor:pointer;text-decoration:none;display:inline-block}
button.approve{background:#27ae60;color:#fff;border-color:#27ae60}
button.deny{background:#c0392b;color:#fff;border-color:#c0392b}
:focus-visible{outline:3px solid #2980b9;outline-offset:2px}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
`;

/**
 * The script: refreshes the pending list whenever the store reports a change (server-sent
 * events), so a new request shows without reloading. The page works without it.
 */
export const CONSOLE_JS = `(() => {
  const list = document.getElementById('pending');
  if (list === null || typeof EventSource === 'undefined') return;
  const events = new EventSource(list.dataset.events);
  let busy = false;
  let again = false;
  const refresh = async () => {
    if (busy) { again = true; return; }
    busy = true;
    try {
      const res = await fetch(list.dataset.fragment, { credentials: 'same-origin' });
      if (res.ok) list.innerHTML = await res.text();
    } finally {
      busy = false;
      if (again) { again = false; void refresh(); }
    }
  };
  events.addEventListener('change', () => { void refresh(); });
})();
`;
