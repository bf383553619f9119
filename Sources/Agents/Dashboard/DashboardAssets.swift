/// The dashboard's script and style sheet: small, no build step, nothing from outside the
/// manager.
public enum DashboardAssets {
    /// Keeps a page live: one EventSource per tab on `/ui/events` (the rows of this page that
    /// changed, replaced in place; a `reset` reloads the page), and the log boxes followed
    /// with `fetch`.
    public static let script = #"""
        "use strict";
        (function () {
          const body = document.body;
          const watch = body.dataset.watch;
          function apply(row) {
            const sel = '[data-key="' + CSS.escape(row.key) + '"]';
            const old = document.querySelector(sel);
            if (row.removed) { if (old) old.remove(); return; }
            const t = document.createElement("template");
            t.innerHTML = row.html.trim();
            const el = t.content.firstElementChild;
            if (!el) return;
            if (old) { old.replaceWith(el); }
            else {
              const list = document.querySelector('[data-list="' + CSS.escape(row.list) + '"]');
              if (!list) return;
              const empty = list.querySelector(":scope > .empty");
              if (empty) empty.remove();
              const desc = list.dataset.order === "desc";
              let before = null;
              for (const c of list.querySelectorAll(":scope > [data-key]")) {
                if (desc ? c.dataset.key < row.key : c.dataset.key > row.key) { before = c; break; }
              }
              list.insertBefore(el, before);
            }
            if (row.key === "zk") body.classList.toggle("stale", el.classList.contains("stale"));
          }
          if (watch && window.EventSource) {
            const url = "/ui/events?watch=" + encodeURIComponent(watch) + "&after=" + encodeURIComponent(body.dataset.after);
            const events = new EventSource(url);
            const conn = document.getElementById("conn");
            events.addEventListener("rows", function (e) {
              const data = JSON.parse(e.data);
              data.rows.forEach(apply);
              body.dataset.after = e.lastEventId;
              body.dataset.events = String(Number(body.dataset.events || "0") + 1);
            });
            events.addEventListener("reset", function () { location.reload(); });
            events.onerror = function () { if (conn) conn.hidden = false; body.classList.add("offline"); };
            events.onopen = function () { if (conn) conn.hidden = true; body.classList.remove("offline"); };
          }
          const zk = document.querySelector('[data-key="zk"]');
          if (zk) body.classList.toggle("stale", zk.classList.contains("stale"));
          function entry(e) {
            const time = (e.time || "").slice(11, 23);
            return time + " " + (e.zone || "-") + "/" + (e.instance || "-").slice(0, 12) + (e.notice ? " -- " : " | ") + e.line;
          }
          async function follow(box) {
            const max = 1000;
            while (true) {
              try {
                const res = await fetch(box.dataset.follow, { credentials: "same-origin" });
                if (!res.ok) { box.textContent += "(" + res.status + " " + (await res.text()).slice(0, 200) + ")\n"; return; }
                const reader = res.body.getReader();
                const decoder = new TextDecoder();
                let pending = "";
                for (;;) {
                  const { value, done } = await reader.read();
                  if (done) break;
                  pending += decoder.decode(value, { stream: true });
                  let lines = pending.split("\n");
                  pending = lines.pop();
                  if (box.dataset.format === "entries") {
                    lines = lines.filter(Boolean).map(function (l) { try { return entry(JSON.parse(l)); } catch (x) { return l; } });
                  }
                  if (lines.length) {
                    box.append(document.createTextNode(lines.join("\n") + "\n"));
                    while (box.childNodes.length > max) box.firstChild.remove();
                    box.scrollTop = box.scrollHeight;
                  }
                }
                if (box.dataset.format !== "entries") return;
              } catch (x) { /* the manager went away: try again */ }
              await new Promise(function (r) { setTimeout(r, 2000); });
            }
          }
          document.querySelectorAll("[data-follow]").forEach(follow);
        })();
        """#

    public static let style = #"""
        :root { --ok: #1b7f3b; --warn: #9a6700; --bad: #b42318; --muted: #6b7280; font-family: system-ui, sans-serif; }
        body { margin: 0; color: #111827; background: #f9fafb; }
        header { display: flex; gap: 1.5rem; align-items: center; padding: .6rem 1.2rem; background: #0f3b5f; color: #fff; }
        header a { color: #dbeafe; text-decoration: none; } header a.active { color: #fff; font-weight: 600; }
        header nav { display: flex; gap: 1rem; } .brand { font-weight: 700; color: #fff !important; }
        .who { margin-left: auto; display: flex; gap: .5rem; align-items: center; }
        main { padding: 1rem 1.2rem; max-width: 1400px; }
        table { border-collapse: collapse; width: 100%; background: #fff; margin-bottom: 1rem; font-size: .92rem; }
        th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid #e5e7eb; vertical-align: top; }
        th { background: #f3f4f6; font-weight: 600; }
        code { font-size: .85em; } .muted, .empty td, .empty { color: var(--muted); }
        .ok { color: var(--ok); } .warn { color: var(--warn); } .bad, .error { color: var(--bad); }
        .zone { display: inline-block; padding: 0 .4rem; border-radius: .6rem; background: #eef2ff; margin-right: .2rem; }
        .banner { padding: .3rem 1.2rem; font-size: .85rem; } .banner.live { color: var(--ok); }
        .banner.stale { background: #fef3c7; color: #7c2d12; font-weight: 600; }
        body.stale main, body.offline main { opacity: .55; }
        .summary { display: grid; grid-template-columns: 8rem 1fr; gap: .3rem .8rem; background: #fff; padding: .8rem; }
        .summary dt { font-weight: 600; } .summary dd { margin: 0; }
        form.inline { display: inline; } tr.current { background: #ecfdf5; }
        pre.log { background: #111827; color: #e5e7eb; padding: .6rem; height: 18rem; overflow: auto; font-size: .8rem; }
        body.login main { max-width: 22rem; margin: 4rem auto; background: #fff; padding: 1.5rem; }
        body.login label { display: block; margin: .6rem 0; } body.login input { width: 100%; }
        """#
}
