import Hummingbird
import NIOCore

/// `GET /`: the live dashboard. One self-contained page (HTML, CSS, a little JavaScript; no
/// build step, no CDN) that polls `/api/workers/status` every two seconds and renders a row per
/// worker; on a phone the rows become cards. With `STATUS_TOKEN` set, open it as `/?token=…`:
/// the script sends the token as a bearer header.
enum DashboardPage {
    static func response() -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    static let html = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>botmaster</title>
        <style>
          :root { --bg: #f6f7f9; --fg: #1d232b; --muted: #687385; --line: #e2e6ec; --card: #fff;
                  --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; --idle: #687385; }
          @media (prefers-color-scheme: dark) {
            :root { --bg: #0f1419; --fg: #e6edf3; --muted: #8b949e; --line: #262c36; --card: #161b22; }
          }
          * { box-sizing: border-box; }
          body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; background: var(--bg); color: var(--fg); }
          header { padding: 16px 20px; display: flex; flex-wrap: wrap; gap: 8px 24px; align-items: baseline; border-bottom: 1px solid var(--line); }
          h1 { font-size: 18px; margin: 0; }
          .summary { color: var(--muted); }
          .summary b { color: var(--fg); }
          #error { display: none; margin: 12px 20px; padding: 10px 12px; border-radius: 6px; background: var(--bad); color: #fff; }
          main { padding: 12px 20px 40px; }
          table { width: 100%; border-collapse: collapse; background: var(--card); border: 1px solid var(--line); border-radius: 8px; overflow: hidden; }
          th, td { padding: 8px 10px; text-align: left; border-bottom: 1px solid var(--line); white-space: nowrap; }
          th { font-weight: 600; color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
          td.num { text-align: right; font-variant-numeric: tabular-nums; }
          td.exit { white-space: normal; color: var(--muted); max-width: 320px; }
          td.warn { color: #b45309; font-weight: 600; }
          .state { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 600; color: #fff; background: var(--idle); }
          .state.running { background: var(--ok); } .state.starting, .state.backoff, .state.stopping { background: var(--warn); }
          .state.errored { background: var(--bad); }
          .bar { height: 4px; background: var(--line); border-radius: 2px; margin-top: 3px; min-width: 60px; }
          .bar > span { display: block; height: 100%; border-radius: 2px; background: var(--ok); }
          .bar > span.high { background: var(--warn); } .bar > span.over { background: var(--bad); }
          @media (max-width: 720px) {
            thead { display: none; }
            table, tbody, tr, td { display: block; width: 100%; border: 0; }
            tr { background: var(--card); border: 1px solid var(--line); border-radius: 8px; margin-bottom: 10px; padding: 6px 0; }
            td { display: flex; justify-content: space-between; padding: 4px 12px; border: 0; }
            td::before { content: attr(data-label); color: var(--muted); margin-right: 12px; }
            td.num { text-align: left; }
          }
        </style>
        </head>
        <body>
        <header>
          <h1>botmaster</h1>
          <div class="summary" id="summary">loading…</div>
        </header>
        <div id="error"></div>
        <main>
          <table>
            <thead><tr><th>Bot</th><th>State</th><th>PID</th><th>Uptime</th><th>Restarts</th><th>Memory</th><th>Messages</th><th>Errors</th><th>Store</th><th>Heartbeat</th><th>Last exit</th></tr></thead>
            <tbody id="workers"></tbody>
          </table>
        </main>
        <script>
        const token = new URLSearchParams(location.search).get("token");
        const headers = token ? { Authorization: "Bearer " + token } : {};
        function duration(ms) {
          if (ms === null || ms === undefined) return "–";
          const s = Math.floor(ms / 1000);
          if (s < 1) return ms + "ms";
          if (s < 60) return s + "s";
          if (s < 3600) return Math.floor(s / 60) + "m" + String(s % 60).padStart(2, "0") + "s";
          if (s < 86400) return Math.floor(s / 3600) + "h" + String(Math.floor(s % 3600 / 60)).padStart(2, "0") + "m";
          return Math.floor(s / 86400) + "d" + String(Math.floor(s % 86400 / 3600)).padStart(2, "0") + "h";
        }
        function megabytes(bytes) { return bytes === null || bytes === undefined ? "–" : (bytes / 1048576).toFixed(1) + " MB"; }
        function cell(label, text, cls) {
          const td = document.createElement("td");
          td.dataset.label = label;
          if (cls) td.className = cls;
          td.textContent = text;
          return td;
        }
        function render(fleet) {
          const m = fleet.master;
          const errored = fleet.workers.filter(w => w.state === "errored").length;
          document.getElementById("summary").innerHTML =
            "<b>" + m.workers_running + "</b> of <b>" + m.workers_total + "</b> running" +
            (errored ? " · <b>" + errored + "</b> errored" : "") +
            " · master pid " + m.pid + " · up " + duration(m.uptime_ms) + " · v" + m.version;
          const body = document.createElement("tbody");
          body.id = "workers";
          for (const w of fleet.workers) {
            const tr = document.createElement("tr");
            tr.dataset.bot = w.id;
            tr.appendChild(cell("Bot", w.id));
            const state = cell("State", "");
            const badge = document.createElement("span");
            badge.className = "state " + w.state;
            badge.textContent = w.state;
            state.appendChild(badge);
            tr.appendChild(state);
            tr.appendChild(cell("PID", w.pid ?? "–", "num"));
            tr.appendChild(cell("Uptime", duration(w.uptime_ms), "num"));
            tr.appendChild(cell("Restarts", w.restarts, "num"));
            const memory = cell("Memory", megabytes(w.rss_bytes), "num");
            if (w.rss_bytes && w.memory_limit_bytes) {
              const ratio = w.rss_bytes / w.memory_limit_bytes;
              const bar = document.createElement("div");
              bar.className = "bar";
              const fill = document.createElement("span");
              fill.style.width = Math.min(100, ratio * 100).toFixed(0) + "%";
              fill.className = ratio > 1 ? "over" : ratio > 0.8 ? "high" : "";
              bar.appendChild(fill);
              memory.title = (ratio * 100).toFixed(0) + "% of " + megabytes(w.memory_limit_bytes);
              memory.appendChild(bar);
            }
            tr.appendChild(memory);
            tr.appendChild(cell("Messages", w.messages, "num"));
            tr.appendChild(cell("Errors", w.errors, "num"));
            const store = w.bot ? w.bot.store : null;
            const storeCell = cell("Store", store === null ? "–" : store === "memory" ? "memory (not durable)" : store,
              store === null || store === "sqlite" || store === "redis" ? "" : "warn");
            if (store === "memory") storeCell.title = "State in the worker's memory: a killed worker loses its open batches and queued jobs.";
            tr.appendChild(storeCell);
            tr.appendChild(cell("Heartbeat", w.last_heartbeat_ms_ago === null ? "–" : duration(w.last_heartbeat_ms_ago) + " ago", "num"));
            tr.appendChild(cell("Last exit", w.last_exit ?? "–", "exit"));
            body.appendChild(tr);
          }
          document.getElementById("workers").replaceWith(body);
        }
        async function refresh() {
          const error = document.getElementById("error");
          try {
            const response = await fetch("/api/workers/status", { headers, cache: "no-store" });
            if (!response.ok) throw new Error("HTTP " + response.status);
            render(await response.json());
            error.style.display = "none";
          } catch (e) {
            error.textContent = "Cannot reach the master: " + e.message;
            error.style.display = "block";
          }
        }
        refresh();
        setInterval(refresh, 2000);
        </script>
        </body>
        </html>
        """#
}
