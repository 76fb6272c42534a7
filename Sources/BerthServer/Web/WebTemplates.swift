import Mustache

/// The history page's templates, compiled into berthd (no files to install, nothing fetched
/// from the internet). Mustache escapes every `{{value}}`: names, commands and log lines are
/// the containers' own text.
enum WebTemplates {
    static let head = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}}</title>
        <style>
        body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d232a;background:#f6f7f9}
        header{background:#163a5f;color:#fff;padding:10px 16px;display:flex;flex-wrap:wrap;gap:8px 24px;align-items:center}
        header h1{font-size:18px;margin:0}header a{color:#fff}
        main{padding:12px 16px;max-width:1200px;margin:auto}
        form.at{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin:8px 0 16px}
        form.at input[type=range]{flex:1 1 260px}form.at input[type=text]{width:15em}
        .err{color:#b00020;font-weight:600}
        .wrap{overflow-x:auto}table{border-collapse:collapse;width:100%;background:#fff}
        th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #e3e6ea;white-space:nowrap}
        .life{display:flex;gap:12px;align-items:center;padding:6px 0;border-bottom:1px solid #e3e6ea}
        .who{flex:0 0 260px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
        .track{position:relative;flex:1 1 auto;height:16px;background:#e8ecf2;border-radius:3px;min-width:120px}
        .run{position:absolute;top:2px;bottom:2px;min-width:2px;border-radius:2px}
        .running{background:#2e9d4e}.exited{background:#7d8b99}.crash{background:#d14343}.oom{background:#8e44ad}.stopped{background:#b5a642}
        .marker{position:absolute;top:-3px;bottom:-3px;width:2px;background:#163a5f}
        .state{font-size:12px;padding:1px 6px;border-radius:8px;background:#e3e6ea}
        .s-running{background:#c9efd4}.s-removed{background:#f3d3d3}.s-exited{background:#e3e6ea}.s-paused{background:#fdf0c2}
        .legend span{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px;border-radius:2px}
        pre{background:#0f1720;color:#d6e2ee;padding:8px;overflow-x:auto;font-size:12px}
        dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px}dt{font-weight:600}dd{margin:0;word-break:break-all}
        @media (max-width:600px){.life{flex-direction:column;align-items:stretch}.who{flex:none;white-space:normal}}
        </style></head><body>
        <header><h1><a href="/">berth history</a></h1><span>{{host}}</span><span>as of {{generated}}</span></header>
        """

    static let index = """
        {{> head}}
        <main>
        <form class="at" method="get" action="/">
          <label for="at">Show the host at</label>
          <input type="range" id="slider" min="{{sliderMin}}" max="{{sliderMax}}" value="{{sliderValue}}" step="1" aria-label="time">
          <input type="text" id="at" name="at" value="{{atText}}" placeholder="2026-12-01T03:00:00Z, 2h">
          <button type="submit">Show</button>{{#atShown}} <a href="/">now</a>{{/atShown}}
        </form>
        {{#atError}}<p class="err" id="at-error">{{atError}}</p>{{/atError}}
        {{#atShown}}
        <section id="at-view"><h2>At {{atTime}}: {{atCount}} container(s)</h2>
        <div class="wrap"><table><thead><tr><th>NAME</th><th>STATE</th><th>STATUS</th><th>IMAGE</th><th>PORTS</th><th>ID</th></tr></thead><tbody>
        {{#atRows}}<tr class="at-row"><td><a href="/container/{{id}}">{{name}}</a></td><td>{{state}}</td><td>{{status}}</td><td>{{image}}</td><td>{{ports}}</td><td>{{short}}</td></tr>{{/atRows}}
        </tbody></table></div></section>
        {{/atShown}}
        <section id="lives"><h2>Containers and their runs ({{count}})</h2>
        <p class="legend">{{from}} → {{to}}<span class="running"></span>running<span class="exited"></span>exited 0<span class="crash"></span>crashed<span class="oom"></span>OOM-killed<span class="stopped"></span>stopped</p>
        {{#lives}}
        <div class="life" data-id="{{id}}">
          <div class="who"><a href="/container/{{id}}">{{name}}</a> <span class="state s-{{state}}">{{state}}</span><br><small>{{image}} · {{runCount}} run(s)</small></div>
          <div class="track">{{#bars}}<span class="run {{cls}}" style="left:{{left}}%;width:{{width}}%" title="{{title}}"></span>{{/bars}}{{#marker}}<span class="marker" style="left:{{marker}}%"></span>{{/marker}}</div>
        </div>
        {{/lives}}
        {{^lives}}<p>No containers in history yet.</p>{{/lives}}
        </section></main>
        <script>
        (function(){var s=document.getElementById('slider'),t=document.getElementById('at');
        s.addEventListener('input',function(){t.value=new Date(s.value*1000).toISOString().replace('.000','');});
        s.addEventListener('change',function(){t.form.submit();});})();
        </script></body></html>
        """

    static let container = """
        {{> head}}
        <main>
        <h2 id="name">{{name}} <span class="state s-{{state}}">{{state}}</span></h2>
        <dl>
        <dt>ID</dt><dd>{{id}}</dd><dt>Image</dt><dd>{{image}}</dd><dt>Command</dt><dd>{{command}}</dd>
        <dt>Created</dt><dd>{{created}}</dd>{{#removed}}<dt>Removed</dt><dd>{{removed}}</dd>{{/removed}}
        <dt>Restart policy</dt><dd>{{restart}}</dd><dt>Working dir</dt><dd>{{workdir}}</dd><dt>User</dt><dd>{{user}}</dd>
        <dt>Environment</dt><dd>{{env}} <small>(names only: values can hold secrets)</small></dd>
        <dt>Labels</dt><dd>{{#labels}}{{.}}<br>{{/labels}}</dd>
        <dt>Ports</dt><dd>{{#ports}}{{.}}<br>{{/ports}}</dd>
        <dt>Mounts</dt><dd>{{#mounts}}{{.}}<br>{{/mounts}}</dd>
        </dl>
        <h3>Runs ({{runCount}})</h3>
        <div class="wrap"><table id="runs"><thead><tr><th>RUN</th><th>STARTED</th><th>FINISHED</th><th>EXIT</th><th>RAN FOR</th><th>ENDED BY</th><th>OOM</th></tr></thead><tbody>
        {{#runs}}<tr class="run-row"><td>{{n}}</td><td>{{started}}</td><td>{{finished}}</td><td>{{code}}</td><td>{{ranFor}}</td><td>{{ended}}</td><td>{{oom}}</td></tr>{{/runs}}
        </tbody></table></div>
        <h3>Last log lines</h3>
        {{#logNote}}<p>{{logNote}}</p>{{/logNote}}
        <pre id="logs">{{#logs}}{{.}}
        {{/logs}}</pre>
        </main></body></html>
        """

    /// The compiled library; a template that fails to compile is a bug caught by the tests.
    static let library: MustacheLibrary = {
        var templates: [String: MustacheTemplate] = [:]
        for (name, text) in [("head", head), ("index", index), ("container", container)] {
            templates[name] = try! MustacheTemplate(string: text)
        }
        return MustacheLibrary(templates: templates)
    }()
}
