// The portal's stylesheet and script, served from the gateway itself so the CSP can stay 'self'.
import { textOn, type Branding } from "./branding.js";

export const PORTAL_CSS = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;background:#f6f7f9}
a{color:var(--accent-ink)}
a:focus-visible,button:focus-visible,input:focus-visible,summary:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.skip{position:absolute;left:-999px;top:0;background:#fff;padding:.5rem 1rem}
.skip:focus{left:1rem;z-index:10}
.bar{display:flex;justify-content:space-between;align-items:center;gap:1rem;padding:.75rem 1.5rem;background:#fff;border-bottom:1px solid #dde1e6}
.brand{display:flex;align-items:center;gap:.5rem;font-weight:600;color:#1a1a1a;text-decoration:none}
.bar nav{display:flex;gap:1rem;align-items:center}
main{max-width:60rem;margin:0 auto;padding:2rem 1.5rem}
main:focus{outline:none}
h1{font-size:1.75rem;margin:.5rem 0 1rem}
h2{font-size:1.25rem;margin:2rem 0 .75rem}
.lead{font-size:1.1rem;color:#333}
.muted{color:#555}
.card{background:#fff;border:1px solid #dde1e6;border-radius:8px;padding:1.25rem 1.5rem}
.button{display:inline-block;background:var(--accent);color:var(--accent-text);border:0;border-radius:6px;padding:.6rem 1.1rem;font:inherit;font-weight:600;text-decoration:none;cursor:pointer}
.button.secondary{background:#fff;color:#1a1a1a;border:1px solid #8a939e}
button.link{background:none;border:0;padding:0;font:inherit;color:var(--accent-ink);text-decoration:underline;cursor:pointer}
form.inline{display:inline}
.stack{display:flex;flex-direction:column;gap:.75rem;max-width:40rem}
.stack>label{font-weight:600}
.card.stack>p,.card.stack>h3,.card.stack>ul{margin:0}
fieldset{border:1px solid #dde1e6;border-radius:8px;padding:1rem;background:#fff}
legend{font-weight:600;padding:0 .25rem}
.choice{display:flex;gap:.75rem;align-items:flex-start;padding:.5rem;border-radius:6px}
.choice:hover{background:#f0f2f5}
.choice span{display:flex;flex-direction:column}
input[type=text],input[type=search],input[type=password],input[type=email],input[type=url],textarea{font:inherit;padding:.5rem .6rem;border:1px solid #8a939e;border-radius:6px;width:100%;max-width:32rem}
.search{display:flex;gap:.5rem;align-items:center;flex-wrap:wrap;margin-bottom:1rem}
.search label{font-weight:600}
.search input{width:auto;flex:1 1 16rem}
table{width:100%;border-collapse:collapse;background:#fff;border:1px solid #dde1e6}
th,td{text-align:left;padding:.5rem .75rem;border-bottom:1px solid #e6e9ed;vertical-align:top}
th{background:#f0f2f5}
.list{padding-left:1.25rem}
.list li{margin:.35rem 0}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:.35rem 1.5rem}
.facts dt{font-weight:600}
.facts dd{margin:0}
.badge{display:inline-block;border-radius:999px;padding:.1rem .6rem;font-size:.85rem;font-weight:600;border:1px solid currentColor}
.badge-linked,.badge-active{color:#0b6b2e;background:#e7f6ec}
.badge-unlinked,.badge-validating{color:#6b4e00;background:#fff6d6}
.badge-invalid_credentials,.badge-deleting,.badge-inactive{color:#9b1c1c;background:#fdeaea}
.alert{border-left:4px solid #9b1c1c;background:#fdeaea;padding:.75rem 1rem}
.pager{display:flex;gap:1rem;margin-top:.75rem}
.copy{display:flex;gap:.5rem;max-width:40rem}
.copy input{flex:1;font-family:ui-monospace,Menlo,Consolas,monospace}
.steps li{margin:.4rem 0}
.status{font-weight:600;padding:.6rem .9rem;border-radius:6px}
.status.waiting{background:#fff6d6;color:#6b4e00}
.status.ok{background:#e7f6ec;color:#0b6b2e}
tr.failed td{background:#fff8f8}
details pre{white-space:pre-wrap;word-break:break-word;font-size:.85rem}
code{font-size:.85rem;word-break:break-all}
.field{display:flex;flex-direction:column;gap:.25rem;margin:.5rem 0}
.field label{font-weight:600}
.hint{margin:0;font-size:.9rem}
.field-error{margin:0;color:#9b1c1c;font-weight:600}
[aria-invalid=true]{border-color:#9b1c1c;border-width:2px}
textarea{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85rem;max-width:40rem}
details.card{margin-top:1.5rem}
details.card>summary,details>summary{cursor:pointer;font-weight:600}
.attention{border-left:4px solid #b45309;background:#fffbeb}
.actions{display:flex;gap:.75rem;flex-wrap:wrap}
.button.danger{background:#9b1c1c;color:#fff}
section.card{margin-top:1.5rem}
.card>h2:first-child{margin-top:0}
.counts td,.counts th[scope=row]{font-variant-numeric:tabular-nums}
.finding-error{color:#9b1c1c}
.finding-warning{color:#6b4e00}
.stack.wide{max-width:none}
table.mapping caption{text-align:left;font-weight:600;padding:.5rem .75rem}
table.mapping th[scope=row]{width:12rem;background:#f8f9fb}
table.mapping input[type=text]{max-width:none}
input.narrow{width:7rem;font:inherit;padding:.5rem .6rem;border:1px solid #8a939e;border-radius:6px}
tr.changed td{background:#fffbeb}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
`;

/** The accent colour as CSS variables, with a text colour that keeps its contrast. */
export function themeCss(branding: Branding): string {
  const text = textOn(branding.accent_color);
  // Links use the accent only when it is dark enough to read on white.
  const ink = textOn(branding.accent_color) === "#ffffff" ? branding.accent_color : "#1f3a9e";
  return `:root{--accent:${branding.accent_color};--accent-text:${text};--accent-ink:${ink}}`;
}

/** Progressive enhancement only: copy buttons and the live log. Every page works without it. */
export const PORTAL_JS = `
const status = document.querySelector("[data-activity]");
if (status) {
  const table = document.querySelector("#activity tbody");
  let busy = status.getAttribute("data-busy") === "true";
  const cell = (text, className) => {
    const td = document.createElement("td");
    if (className) td.className = className;
    td.textContent = text;
    return td;
  };
  const badge = (e) => e.pending ? "badge badge-validating" : e.ok ? "badge badge-linked" : e.result === "Waiting for you" ? "badge badge-unlinked" : "badge badge-invalid_credentials";
  const refresh = async () => {
    try {
      const response = await fetch(status.getAttribute("data-activity"), { headers: { accept: "application/json" } });
      if (!response.ok) return;
      const activity = await response.json();
      status.textContent = activity.status_text;
      status.className = activity.connected ? "status ok" : "status waiting";
      const state = document.getElementById("directory-state");
      if (state) {
        state.className = "badge badge-" + activity.state;
        state.textContent = activity.state_label;
      }
      const users = document.getElementById("count-users");
      if (users) users.textContent = activity.counts.users + " (" + activity.counts.active_users + " active)";
      const groups = document.getElementById("count-groups");
      if (groups) groups.textContent = String(activity.counts.groups);
      // A sync just ended: reload to show its users, unless the admin is typing in a form.
      if (busy && !activity.busy && !document.activeElement?.closest("form")) return location.reload();
      busy = activity.busy;
      if (!table || activity.entries.length === 0) return;
      table.replaceChildren(...activity.entries.map((e) => {
        const row = document.createElement("tr");
        row.className = e.ok ? "ok" : "failed";
        const when = document.createElement("time");
        when.dateTime = e.at;
        when.textContent = e.at.replace("T", " ").slice(0, 19) + " UTC";
        const whenCell = cell("");
        whenCell.append(when);
        const whatCell = cell("");
        if (e.kind === "scim_request") {
          const code = document.createElement("code");
          code.textContent = e.what;
          whatCell.append(code);
        } else whatCell.textContent = e.what;
        const result = cell("");
        const label = document.createElement("span");
        label.className = badge(e);
        label.textContent = e.result;
        result.append(label, " " + e.explanation);
        if (e.detail) {
          const details = document.createElement("details");
          const summary = document.createElement("summary");
          summary.textContent = "Details";
          const pre = document.createElement("pre");
          pre.textContent = e.detail;
          details.append(summary, pre);
          result.append(details);
        }
        row.append(whenCell, whatCell, result);
        return row;
      }));
    } catch {}
  };
  setInterval(refresh, 2000);
}

document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const source = document.getElementById(button.getAttribute("data-copy"));
  if (!source) return;
  try {
    await navigator.clipboard.writeText(source.value ?? source.textContent);
    button.textContent = "Copied";
  } catch {
    source.select?.();
  }
});
`;
