import Hummingbird
import NIOCore

/// `GET /`: the live dashboard. One self-contained page (HTML, CSS, a little JavaScript; no
/// build step, no CDN). The fleet view (`/`) polls `/api/workers/status` and `/api/history`
/// every two seconds: the fleet's sparklines, then a row per worker with its bot counters (on a
/// phone the rows become cards). A bot's page (`/#bot/<id>`) shows its sparklines, counters,
/// settings with their sources, restart history, dead letters and recent log lines, with
/// Restart and Retry buttons. With `STATUS_TOKEN` set, open it as `/?token=…`: the script sends
/// the token as a bearer header.
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
                  --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; --idle: #687385; --accent: #0969da; }
          @media (prefers-color-scheme: dark) {
            :root { --bg: #0f1419; --fg: #e6edf3; --muted: #8b949e; --line: #262c36; --card: #161b22; --accent: #4493f8; }
          }
          * { box-sizing: border-box; }
          body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; background: var(--bg); color: var(--fg); }
          a { color: var(--accent); text-decoration: none; } a:hover { text-decoration: underline; }
          header { padding: 16px 20px; display: flex; flex-wrap: wrap; gap: 8px 24px; align-items: center; border-bottom: 1px solid var(--line); }
          h1 { font-size: 18px; margin: 0; } h2 { font-size: 15px; margin: 22px 0 8px; }
          .summary { color: var(--muted); }
          .summary b { color: var(--fg); }
          #error, #notice { display: none; margin: 12px 20px; padding: 10px 12px; border-radius: 6px; background: var(--bad); color: #fff; }
          #notice { background: var(--ok); }
          main { padding: 12px 20px 40px; }
          .sparks { display: flex; flex-wrap: wrap; gap: 10px 28px; margin-left: auto; }
          .spark { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); }
          .spark b { color: var(--fg); font-size: 13px; }
          .spark svg { display: block; margin-top: 2px; }
          .spark polyline { fill: none; stroke: var(--accent); stroke-width: 1.5; }
          .spark.errors polyline { stroke: var(--bad); } .spark.memory polyline { stroke: var(--warn); }
          .table-wrap { overflow-x: auto; }
          table { width: 100%; border-collapse: collapse; background: var(--card); border: 1px solid var(--line); border-radius: 8px; overflow: hidden; }
          th, td { padding: 7px 9px; text-align: left; border-bottom: 1px solid var(--line); white-space: nowrap; }
          th { font-weight: 600; color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
          td.num { text-align: right; font-variant-numeric: tabular-nums; }
          td.exit { white-space: normal; color: var(--muted); max-width: 280px; }
          td.warn, span.warn { color: #b45309; font-weight: 600; }
          td.bad { color: var(--bad); font-weight: 600; }
          .state { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 600; color: #fff; background: var(--idle); }
          .state.running { background: var(--ok); } .state.starting, .state.backoff, .state.stopping { background: var(--warn); }
          .state.errored { background: var(--bad); }
          .state.queued, .state.paused { background: var(--warn); } .state.done { background: var(--accent); }
          .row-actions { display: inline-flex; gap: 6px; } .row-actions button { padding: 2px 8px; font-size: 12px; }
          .bar { height: 4px; background: var(--line); border-radius: 2px; margin-top: 3px; min-width: 60px; }
          .bar > span { display: block; height: 100%; border-radius: 2px; background: var(--ok); }
          .bar > span.high { background: var(--warn); } .bar > span.over { background: var(--bad); }
          .counters { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 8px; }
          .counter { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 8px 10px; }
          .counter span { display: block; font-size: 12px; color: var(--muted); }
          .counter b { font-size: 17px; font-variant-numeric: tabular-nums; }
          .actions { display: flex; gap: 8px; margin-left: auto; }
          button { font: inherit; padding: 5px 12px; border-radius: 6px; border: 1px solid var(--line); background: var(--card); color: var(--fg); cursor: pointer; }
          button:hover { border-color: var(--accent); } button:disabled { opacity: .5; cursor: default; }
          pre { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px; overflow-x: auto; font-size: 12px; max-height: 420px; }
          .empty { color: var(--muted); }
          #bot-view { display: none; }
          @media (max-width: 720px) {
            #fleet thead { display: none; }
            #fleet table, #fleet tbody, #fleet tr, #fleet td { display: block; width: 100%; border: 0; }
            #fleet tr { background: var(--card); border: 1px solid var(--line); border-radius: 8px; margin-bottom: 10px; padding: 6px 0; }
            #fleet td { display: flex; justify-content: space-between; padding: 4px 12px; border: 0; }
            #fleet td::before { content: attr(data-label); color: var(--muted); margin-right: 12px; }
            #fleet td.num { text-align: left; }
          }
        </style>
        </head>
        <body>
        <header>
          <h1><a href="#" id="home">botmaster</a></h1>
          <div class="summary" id="summary">loading…</div>
          <div class="sparks" id="fleet-sparks"></div>
        </header>
        <div id="error"></div>
        <div id="notice"></div>
        <main>
          <section id="fleet">
            <div class="table-wrap"><table>
              <thead><tr><th>Bot</th><th>State</th><th>PID</th><th>Uptime</th><th>Restarts</th><th>CPU</th><th>Memory</th><th>Messages</th><th>Errors</th><th>Received</th><th>Answered</th><th>Dead</th><th>429s</th><th>In flight</th><th>Broadcast</th><th>Store</th><th>Heartbeat</th><th>Last exit</th></tr></thead>
              <tbody id="workers"></tbody>
            </table></div>
          </section>
          <section id="bot-view">
            <header style="padding: 0 0 8px; border: 0">
              <h1 id="bot-title"></h1><span id="bot-state"></span>
              <div class="actions">
                <button id="restart">Restart</button>
                <button id="retry">Retry dead letters</button>
              </div>
            </header>
            <div class="sparks" id="bot-sparks" style="margin: 6px 0 10px"></div>
            <h2>Counters</h2><div class="counters" id="bot-counters"></div>
            <h2>Settings</h2><div class="table-wrap"><table><thead><tr><th>Key</th><th>Value</th><th>Source</th></tr></thead><tbody id="bot-settings"></tbody></table></div>
            <h2>Restarts</h2><div class="table-wrap"><table><thead><tr><th>When</th><th>Kind</th><th>Reason</th></tr></thead><tbody id="bot-restarts"></tbody></table></div>
            <h2>Dead letters</h2><div id="bot-dead-letters-note" class="empty"></div>
            <div class="table-wrap"><table><thead><tr><th>Key</th><th>Chat</th><th>Kind</th><th>Messages</th><th>Attempts</th><th>Last error</th><th>When</th></tr></thead><tbody id="bot-dead-letters"></tbody></table></div>
            <h2>Broadcasts</h2><div id="bot-broadcasts-note" class="empty"></div>
            <div class="table-wrap"><table><thead><tr><th>ID</th><th>State</th><th>Progress</th><th>Sent</th><th>Blocked</th><th>Invalid</th><th>Failed</th><th>Rate</th><th>Created</th><th></th></tr></thead><tbody id="bot-broadcasts"></tbody></table></div>
            <h2>Recent log lines</h2><pre id="bot-log"></pre>
          </section>
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
        function when(ms) { return new Date(ms).toISOString().replace("T", " ").slice(0, 19) + " UTC"; }
        function element(tag, text, cls) {
          const node = document.createElement(tag);
          if (text !== undefined && text !== null) node.textContent = text;
          if (cls) node.className = cls;
          return node;
        }
        function cell(label, text, cls) {
          const td = element("td", text, cls);
          td.dataset.label = label;
          return td;
        }
        function badge(state) { return element("span", state, "state " + state); }
        function rows(id, items, columns, emptyText) {
          const body = element("tbody");
          body.id = id;
          for (const item of items) {
            const tr = element("tr");
            for (const value of columns(item)) tr.appendChild(value instanceof Node ? value : element("td", value));
            body.appendChild(tr);
          }
          if (!items.length) {
            const tr = element("tr");
            const td = element("td", emptyText, "empty");
            td.colSpan = 8;
            tr.appendChild(td);
            body.appendChild(tr);
          }
          document.getElementById(id).replaceWith(body);
        }
        // An SVG line of the values, scaled to its own maximum; the label shows the last value.
        function sparkline(title, values, cls, format) {
          const box = element("div", null, "spark " + cls);
          box.dataset.series = cls;
          const last = values.length ? values[values.length - 1] : null;
          box.appendChild(element("span", title));
          box.appendChild(element("b", last === null ? "–" : format(last)));
          const width = 140, height = 28, max = Math.max(1, ...values.filter(v => v !== null));
          const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
          svg.setAttribute("width", width);
          svg.setAttribute("height", height);
          const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
          const step = values.length > 1 ? width / (values.length - 1) : 0;
          line.setAttribute("points", values.map((v, i) => (i * step).toFixed(1) + "," + (height - 1 - ((v ?? 0) / max) * (height - 2)).toFixed(1)).join(" "));
          svg.appendChild(line);
          box.appendChild(svg);
          return box;
        }
        function sparks(id, series) {
          const box = element("div", null, "sparks");
          box.id = id;
          const samples = series ? series.samples : [];
          const minutes = series ? Math.round(series.interval_ms * samples.length / 60000) : 0;
          const per = series ? " / " + duration(series.interval_ms) : "";
          box.title = "the last " + minutes + " minutes, one point per " + (series ? duration(series.interval_ms) : "interval");
          box.appendChild(sparkline("messages" + per, samples.map(s => s.messages), "messages", String));
          box.appendChild(sparkline("errors" + per, samples.map(s => s.errors), "errors", String));
          box.appendChild(sparkline("memory (PSS)", samples.map(s => s.pss_bytes), "memory", megabytes));
          document.getElementById(id).replaceWith(box);
        }
        async function get(path) {
          const response = await fetch(path, { headers, cache: "no-store" });
          const body = await response.json().catch(() => ({}));
          if (!response.ok) throw new Error(body.error || "HTTP " + response.status);
          return body;
        }
        function renderSummary(fleet) {
          const m = fleet.master;
          const errored = fleet.workers.filter(w => w.state === "errored").length;
          const summary = element("div", null, "summary");
          summary.id = "summary";
          summary.append(element("b", m.workers_running), " of ", element("b", m.workers_total), " running");
          if (errored) summary.append(" · ", element("b", errored), " errored");
          const sending = fleet.workers.filter(w => w.bot && w.bot.broadcasts_running).length;
          if (sending) summary.append(" · ", element("b", sending), " broadcasting");
          summary.append(" · master pid " + m.pid + " · up " + duration(m.uptime_ms) + " · v" + m.version);
          document.getElementById("summary").replaceWith(summary);
        }
        function memoryCell(w) {
          const memory = cell("Memory", megabytes(w.pss_bytes ?? w.rss_bytes), "num");
          memory.title = "PSS " + megabytes(w.pss_bytes) + " · USS " + megabytes(w.uss_bytes) + " · RSS " + megabytes(w.rss_bytes);
          const used = w.pss_bytes ?? w.rss_bytes;
          if (used && w.memory_limit_bytes) {
            const ratio = used / w.memory_limit_bytes;
            const bar = element("div", null, "bar");
            const fill = element("span", null, ratio > 1 ? "over" : ratio > 0.8 ? "high" : "");
            fill.style.width = Math.min(100, ratio * 100).toFixed(0) + "%";
            bar.appendChild(fill);
            memory.title += " · " + (ratio * 100).toFixed(0) + "% of the " + megabytes(w.memory_limit_bytes) + " cap";
            memory.appendChild(bar);
          }
          return memory;
        }
        function renderFleet(fleet) {
          const body = element("tbody");
          body.id = "workers";
          for (const w of fleet.workers) {
            const tr = element("tr");
            tr.dataset.bot = w.id;
            const name = cell("Bot", null);
            const link = element("a", w.id);
            link.href = "#bot/" + encodeURIComponent(w.id);
            name.appendChild(link);
            tr.appendChild(name);
            const state = cell("State", null);
            state.appendChild(badge(w.state));
            tr.appendChild(state);
            tr.appendChild(cell("PID", w.pid ?? "–", "num"));
            tr.appendChild(cell("Uptime", duration(w.uptime_ms), "num"));
            tr.appendChild(cell("Restarts", w.restarts, "num"));
            tr.appendChild(cell("CPU", w.cpu_percent === null || w.cpu_percent === undefined ? "–" : w.cpu_percent.toFixed(1) + "%", "num"));
            tr.appendChild(memoryCell(w));
            tr.appendChild(cell("Messages", w.messages, "num"));
            tr.appendChild(cell("Errors", w.errors, "num" + (w.errors ? " warn" : "")));
            const b = w.bot;
            tr.appendChild(cell("Received", b ? b.received : "–", "num"));
            tr.appendChild(cell("Answered", b ? b.jobs_ok : "–", "num"));
            tr.appendChild(cell("Dead", b ? b.dead_lettered : "–", "num" + (b && b.dead_lettered ? " bad" : "")));
            tr.appendChild(cell("429s", b ? b.rate_limited : "–", "num"));
            tr.appendChild(cell("In flight", b ? b.in_flight : "–", "num"));
            tr.appendChild(cell("Broadcast", b && b.broadcasts_running ? b.broadcast_remaining + " left" : "–", "num"));
            const store = b ? b.store : null;
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
        function renderBot(description) {
          const w = description.worker;
          document.getElementById("bot-title").textContent = w.id;
          const state = element("span");
          state.id = "bot-state";
          state.appendChild(badge(w.state));
          state.append(" pid " + (w.pid ?? "–") + " · up " + duration(w.uptime_ms) + " · " + w.restarts + " restarts");
          document.getElementById("bot-state").replaceWith(state);
          const counters = element("div", null, "counters");
          counters.id = "bot-counters";
          const shown = [["messages", w.messages], ["errors", w.errors], ["CPU", w.cpu_percent === null ? "–" : w.cpu_percent + "%"],
            ["memory (PSS)", megabytes(w.pss_bytes)], ["memory cap", megabytes(w.memory_limit_bytes)], ["processes", w.processes ?? "–"]];
          if (w.bot) {
            const b = w.bot;
            shown.push(["received", b.received], ["duplicates", b.duplicates], ["batches", b.batches], ["answered", b.jobs_ok],
              ["failed attempts", b.job_failures], ["dead letters", b.dead_lettered], ["429s obeyed", b.rate_limited],
              ["in flight", b.in_flight], ["handoffs", b.handoffs], ["poll conflicts", b.poll_conflicts], ["breaker", b.breaker],
              ["source", b.source], ["store", b.store], ["broadcast sent", b.broadcast_sent],
              ["broadcast unreached", b.broadcast_unreached], ["broadcast left", b.broadcasts_running ? b.broadcast_remaining : "–"]);
          }
          for (const [name, value] of shown) {
            const box = element("div", null, "counter");
            box.dataset.counter = name;
            box.append(element("span", name), element("b", value));
            counters.appendChild(box);
          }
          document.getElementById("bot-counters").replaceWith(counters);
          rows("bot-settings", description.settings, s => [s.key, s.value, s.source], "no settings");
          rows("bot-restarts", description.restart_history.slice().reverse(), r => [when(r.at_ms), r.kind, r.reason], "no restarts since the master started");
          document.getElementById("retry").disabled = !w.bot;
        }
        async function refreshBot(id) {
          const [description, history, logs] = await Promise.all([
            get("/api/workers/" + encodeURIComponent(id)),
            get("/api/workers/" + encodeURIComponent(id) + "/history"),
            get("/api/workers/" + encodeURIComponent(id) + "/logs?lines=100"),
          ]);
          renderBot(description);
          sparks("bot-sparks", history);
          document.getElementById("bot-log").textContent = logs.lines.length ? logs.lines.join("\n") : "(no log lines yet)";
          const note = document.getElementById("bot-dead-letters-note");
          if (!description.worker.bot) {
            note.textContent = "not a bot: no dead letters";
            rows("bot-dead-letters", [], () => [], "–");
            document.getElementById("bot-broadcasts-note").textContent = "not a bot: no broadcasts";
            rows("bot-broadcasts", [], () => [], "–");
            return;
          }
          await refreshBroadcasts(id);
          try {
            const letters = await get("/api/workers/" + encodeURIComponent(id) + "/dead-letters");
            note.textContent = "in the " + letters.store + " store; the messages' texts: botmaster dlq show " + id + " <key> on the host";
            rows("bot-dead-letters", letters.entries, d => [d.key, d.chat, d.kind, d.messages, d.attempts, d.last_error, when(d.at_ms)], "no dead letters");
          } catch (e) {
            note.textContent = e.message;
            rows("bot-dead-letters", [], () => [], "unavailable");
          }
        }
        function broadcastActions(bot, info) {
          const box = element("span", null, "row-actions");
          const actions = info.state === "paused" ? ["resume", "cancel"] : info.state === "running" || info.state === "queued" ? ["pause", "cancel"] : [];
          for (const action of actions) {
            const button = element("button", action);
            button.dataset.broadcast = info.id;
            button.dataset.action = action;
            button.addEventListener("click", () => {
              if (action === "cancel" && !confirm("Cancel broadcast " + info.id + " of " + bot + "? It cannot be resumed.")) return;
              act("/api/bots/" + encodeURIComponent(bot) + "/broadcasts/" + encodeURIComponent(info.id) + "/" + action, button,
                "broadcast " + info.id + ": " + action + " sent");
            });
            box.appendChild(button);
          }
          return box;
        }
        async function refreshBroadcasts(id) {
          const note = document.getElementById("bot-broadcasts-note");
          try {
            const listing = await get("/api/bots/" + encodeURIComponent(id) + "/broadcasts");
            const recent = listing.broadcasts.slice().reverse().slice(0, 10);
            note.textContent = listing.broadcasts.length > recent.length ? "the last " + recent.length + " of " + listing.broadcasts.length + "; the report of one: botmaster broadcast show " + id + " <id>" : "";
            const body = element("tbody");
            body.id = "bot-broadcasts";
            for (const info of recent) {
              const c = info.counts;
              const done = c.sent + c.blocked + c.invalid + c.failed;
              const tr = element("tr");
              tr.dataset.broadcast = info.id;
              tr.appendChild(cell("ID", info.id));
              const state = cell("State", null);
              state.appendChild(badge(info.state));
              tr.appendChild(state);
              const progress = cell("Progress", done + " / " + info.total, "num");
              const bar = element("div", null, "bar");
              const fill = element("span");
              fill.style.width = (info.total ? Math.min(100, done / info.total * 100) : 100).toFixed(0) + "%";
              bar.appendChild(fill);
              progress.appendChild(bar);
              tr.appendChild(progress);
              tr.appendChild(cell("Sent", c.sent, "num"));
              tr.appendChild(cell("Blocked", c.blocked, "num" + (c.blocked ? " warn" : "")));
              tr.appendChild(cell("Invalid", c.invalid, "num" + (c.invalid ? " warn" : "")));
              tr.appendChild(cell("Failed", c.failed, "num" + (c.failed ? " bad" : "")));
              tr.appendChild(cell("Rate", info.rate_per_second + "/s", "num"));
              tr.appendChild(cell("Created", when(info.created_ms)));
              const actions = cell("", null);
              actions.appendChild(broadcastActions(id, info));
              tr.appendChild(actions);
              body.appendChild(tr);
            }
            if (!recent.length) {
              const tr = element("tr");
              const td = element("td", "no broadcasts", "empty");
              td.colSpan = 10;
              tr.appendChild(td);
              body.appendChild(tr);
            }
            document.getElementById("bot-broadcasts").replaceWith(body);
          } catch (e) {
            note.textContent = e.message;
            rows("bot-broadcasts", [], () => [], "unavailable");
          }
        }
        function currentBot() {
          const match = location.hash.match(/^#bot\/(.+)$/);
          return match ? decodeURIComponent(match[1]) : null;
        }
        async function refresh() {
          const error = document.getElementById("error");
          const bot = currentBot();
          document.getElementById("fleet").style.display = bot ? "none" : "block";
          document.getElementById("bot-view").style.display = bot ? "block" : "none";
          try {
            const [fleet, history] = await Promise.all([get("/api/workers/status"), get("/api/history")]);
            renderSummary(fleet);
            sparks("fleet-sparks", history);
            if (bot) await refreshBot(bot); else renderFleet(fleet);
            error.style.display = "none";
          } catch (e) {
            error.textContent = "Cannot reach the master: " + e.message;
            error.style.display = "block";
          }
        }
        async function act(path, button, done) {
          const notice = document.getElementById("notice");
          const error = document.getElementById("error");
          button.disabled = true;
          try {
            const response = await fetch(path, { method: "POST", headers, cache: "no-store" });
            const body = await response.json().catch(() => ({}));
            if (!response.ok) throw new Error(body.error || "HTTP " + response.status);
            notice.textContent = body.message ?? done;
            notice.style.display = "block";
            error.style.display = "none";
            setTimeout(() => { notice.style.display = "none"; }, 4000);
          } catch (e) {
            error.textContent = e.message;
            error.style.display = "block";
          } finally {
            button.disabled = false;
            refresh();
          }
        }
        document.getElementById("restart").addEventListener("click", e => {
          const bot = currentBot();
          if (bot && confirm("Restart " + bot + "?")) act("/api/workers/" + encodeURIComponent(bot) + "/restart", e.target);
        });
        document.getElementById("retry").addEventListener("click", e => {
          const bot = currentBot();
          if (bot) act("/api/workers/" + encodeURIComponent(bot) + "/dead-letters/retry", e.target);
        });
        window.addEventListener("hashchange", refresh);
        refresh();
        setInterval(refresh, 2000);
        </script>
        </body>
        </html>
        """#
}
