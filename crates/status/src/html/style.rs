//! The public page's one stylesheet: system fonts, no external assets,
//! light and dark schemes with text contrast of at least 4.5:1, status
//! colours that always come with a symbol and a word.

/// The stylesheet every page links to (served at [`super::Links::css`]).
pub const STYLESHEET: &str = r#":root{--fg:#1b1f24;--muted:#57606a;--bg:#fff;--panel:#f6f8fa;--line:#d0d7de;--accent:#0b5cad;--ok:#116329;--minor:#7d4e00;--major:#a3400a;--crit:#a40e26;--maint:#0b5cad;--none:#afb8c1;--d0:#1f883d;--d1:#bf8700;--d2:#e16f24;--d3:#cf222e}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9da7b3;--bg:#0d1117;--panel:#161b22;--line:#30363d;--accent:#6cb6ff;--ok:#56d364;--minor:#e3b341;--major:#f0883e;--crit:#ff7b72;--maint:#6cb6ff;--none:#484f58}}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--accent)}
:focus-visible{outline:3px solid #f0b400;outline-offset:2px}
.skip{position:absolute;left:-999px;top:0;background:var(--bg);padding:.5rem}
.skip:focus{left:.5rem}
.vh{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.wrap{max-width:56rem;margin:0 auto;padding:0 1rem}
header.top{border-bottom:1px solid var(--line);padding:1rem 0}
header.top .wrap{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:center}
.brand{font-size:1.5rem;font-weight:700;margin:0;overflow-wrap:anywhere}
.brand a{color:var(--fg);text-decoration:none}
header nav{margin-left:auto}
nav ul{display:flex;flex-wrap:wrap;gap:.25rem 1rem;list-style:none;margin:0;padding:0}
nav a[aria-current]{font-weight:700;text-decoration-thickness:3px}
.indicator{margin:1rem 0 0;padding:.75rem 1rem;border-radius:6px;color:#fff;font-weight:700;font-size:1.15rem;flex-basis:100%}
.ind-none{background:#116329}.ind-minor{background:#7d4e00}.ind-major{background:#a3400a}.ind-critical{background:#a40e26}.ind-maint{background:#0b5cad}
main{padding:1rem 0 2rem}
h1,h2,h3,h4{line-height:1.25;overflow-wrap:anywhere}
h2{font-size:1.25rem;margin:2rem 0 .75rem;padding-bottom:.25rem;border-bottom:1px solid var(--line)}
h3{font-size:1.05rem;margin:1.25rem 0 .5rem}
.stale{background:#fff8c5;color:#3b2300;border-bottom:1px solid #d4a72c;padding:.5rem 1rem;margin:0;text-align:center}
.card{border:1px solid var(--line);border-left-width:6px;border-radius:6px;padding:.75rem 1rem;margin:.75rem 0;background:var(--panel)}
.card h3{margin-top:0}
.imp-none{border-left-color:var(--muted)}.imp-minor{border-left-color:var(--minor)}.imp-major{border-left-color:var(--major)}.imp-critical{border-left-color:var(--crit)}.imp-maint{border-left-color:var(--maint)}
.meta{color:var(--muted);font-size:.9rem;margin:.25rem 0}
ol.timeline{list-style:none;margin:.5rem 0 0;padding:0}
ol.timeline li{border-left:3px solid var(--line);padding:0 0 .75rem .75rem;margin-left:.25rem}
ol.timeline .body p{margin:.25rem 0;overflow-wrap:anywhere}
ul.components,ul.plain{list-style:none;margin:0;padding:0}
li.component{border:1px solid var(--line);border-radius:6px;padding:.6rem .9rem;margin:.5rem 0}
.crow{display:flex;flex-wrap:wrap;justify-content:space-between;gap:.25rem 1rem}
.cname{font-weight:600;overflow-wrap:anywhere}
.st{font-weight:600;white-space:nowrap}
.st-operational{color:var(--ok)}.st-under_maintenance{color:var(--maint)}.st-degraded_performance{color:var(--minor)}.st-partial_outage{color:var(--major)}.st-major_outage{color:var(--crit)}
svg.bar{display:block;width:100%;height:34px;margin:.5rem 0 .25rem}
.bar .d0{fill:var(--d0)}.bar .d1{fill:var(--d1)}.bar .d2{fill:var(--d2)}.bar .d3{fill:var(--d3)}.bar .dn{fill:var(--none)}
.bar rect:hover{opacity:.7}
.bar-wrap{outline-offset:2px}.bar-wrap .trouble{display:none;font-size:.85rem;color:var(--muted)}
.bar-wrap:hover .trouble,.bar-wrap:focus-within .trouble{display:block}
.trouble ul{margin:.25rem 0;padding-left:1.2rem}.trouble p{margin:.25rem 0}
.ends{display:flex;justify-content:space-between;gap:.5rem;color:var(--muted);font-size:.85rem;margin:0}
.legend{display:flex;flex-wrap:wrap;gap:.25rem 1rem;color:var(--muted);font-size:.85rem;margin:.5rem 0}
.key::before{content:"";display:inline-block;width:.8em;height:.8em;margin-right:.3em;vertical-align:-.05em;border-radius:2px}
.k0::before{background:var(--d0)}.k1::before{background:var(--d1)}.k2::before{background:var(--d2)}.k3::before{background:var(--d3)}.kn::before{background:var(--none)}
.empty{color:var(--muted);margin:.25rem 0}
ul.past{list-style:none;margin:0;padding:0}
ul.past li{margin:.25rem 0 .75rem}
.lbl{font-weight:600}
footer{border-top:1px solid var(--line);color:var(--muted);font-size:.9rem;padding:1rem 0 2rem}
footer p{margin:.25rem 0}
@media (max-width:480px){body{font-size:15px}.brand{font-size:1.25rem}header nav{margin-left:0}}
"#;
