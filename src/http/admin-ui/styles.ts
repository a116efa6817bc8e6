// The UI's one stylesheet, inlined in every page: no external assets, works offline, and the CSP
// allows nothing else (style-src 'unsafe-inline' only).
export const CSS = `
*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;background:#f6f8fa}
a{color:#0969da;text-decoration:none}
a:hover{text-decoration:underline}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em}
header.top{background:#24292f;color:#fff}
header.top .wrap{display:flex;flex-wrap:wrap;align-items:center;gap:.25rem 1.25rem;padding-top:.6rem;padding-bottom:.6rem}
header.top .brand{font-weight:600;color:#fff;margin-right:auto}
header.top nav{display:flex;flex-wrap:wrap;gap:.25rem 1rem;align-items:center}
header.top nav a{color:#d0d7de}
header.top nav a.active{color:#fff;font-weight:600}
header.top form{margin:0}
header.top button{background:none;border:1px solid #57606a;color:#d0d7de;padding:.2rem .6rem}
.wrap{max-width:1200px;margin:0 auto;padding:0 1rem}
main.wrap{padding-top:1rem;padding-bottom:3rem}
h1{font-size:1.5rem;margin:.5rem 0 1rem;word-break:break-word}
h2{font-size:1.15rem;margin:1.75rem 0 .6rem}
.card{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:1rem;margin-bottom:1rem}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;background:#fff;border:1px solid #d0d7de;border-radius:8px}
table{border-collapse:collapse;width:100%;font-size:.92rem}
th,td{text-align:left;padding:.5rem .7rem;border-bottom:1px solid #eaeef2;vertical-align:top}
th{background:#f6f8fa;font-weight:600;white-space:nowrap}
tr:last-child td{border-bottom:0}
td.nowrap,td .nowrap{white-space:nowrap}
td.num{text-align:right;white-space:nowrap}
.muted{color:#656d76}
.small{font-size:.85rem}
.pill{display:inline-flex;align-items:center;gap:.35rem;padding:.05rem .55rem;border-radius:999px;font-size:.8rem;font-weight:600;white-space:nowrap;border:1px solid transparent}
.pill::before{content:"";width:.55rem;height:.55rem;border-radius:50%;background:currentColor}
.pill.ready{color:#1a7f37;background:#dafbe1;border-color:#aceebb}
.pill.stale{color:#9a6700;background:#fff8c5;border-color:#eac54f}
.pill.pending{color:#57606a;background:#eaeef2;border-color:#d0d7de}
.pill.failing,.pill.rejected,.pill.failed{color:#cf222e;background:#ffebe9;border-color:#ffcecb}
.pill.queued,.pill.running{color:#0969da;background:#ddf4ff;border-color:#b6e3ff}
.pill.done{color:#1a7f37;background:#dafbe1;border-color:#aceebb}
.badge{display:inline-block;padding:.05rem .45rem;border-radius:4px;font-size:.75rem;font-weight:600;white-space:nowrap;border:1px solid #d0d7de;background:#f6f8fa;color:#57606a}
.badge.pinned{background:#fbefff;border-color:#d8b9ff;color:#8250df}
.badge.current{background:#ddf4ff;border-color:#b6e3ff;color:#0969da}
.badge.evicted{background:#eaeef2;color:#656d76}
.badge.publish.published{background:#dafbe1;border-color:#aceebb;color:#1a7f37}
.badge.publish.failed{background:#ffebe9;border-color:#ffcecb;color:#cf222e}
.flash{padding:.7rem 1rem;border-radius:8px;margin-bottom:1rem;border:1px solid}
.flash.ok{background:#dafbe1;border-color:#aceebb;color:#116329}
.flash.error{background:#ffebe9;border-color:#ffcecb;color:#82071e}
.flash code{font-weight:600}
button,.button{font:inherit;font-size:.9rem;padding:.4rem .9rem;border-radius:6px;border:1px solid #d0d7de;background:#f6f8fa;color:#1f2328;cursor:pointer;min-height:2.1rem}
button:hover{background:#eaeef2}
button.primary{background:#1f883d;border-color:#1a7f37;color:#fff}
button.primary:hover{background:#1a7f37}
button.danger{color:#cf222e}
.actions{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;margin:.75rem 0 0}
.actions form{margin:0}
.bar{height:.7rem;border-radius:999px;background:#eaeef2;overflow:hidden;margin:.4rem 0}
.bar>span{display:block;height:100%;background:#2da44e}
.bar.warn>span{background:#bf8700}
.bar.over>span{background:#cf222e}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem;margin:0}
dl.facts dt{color:#656d76}
dl.facts dd{margin:0;min-width:0;overflow-wrap:anywhere}
ol.timeline{list-style:none;margin:0;padding:0}
ol.timeline>li{background:#fff;border:1px solid #d0d7de;border-left-width:4px;border-radius:8px;padding:.75rem 1rem;margin-bottom:.6rem}
ol.timeline>li.ready{border-left-color:#2da44e}
ol.timeline>li.rejected,ol.timeline>li.failed{border-left-color:#cf222e}
.vhead{display:flex;flex-wrap:wrap;gap:.4rem .6rem;align-items:center}
.vhead .when{margin-left:auto}
.reason{margin:.5rem 0 0;padding:.5rem .7rem;background:#ffebe9;border-radius:6px;color:#82071e;overflow-wrap:anywhere}
.vstats{display:flex;flex-wrap:wrap;gap:.2rem 1.2rem;margin-top:.5rem;font-size:.85rem;color:#57606a}
.vstats b{color:#1f2328;font-weight:600}
.vstats span{white-space:nowrap}
.grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(260px,1fr));gap:1rem}
.grid2>.card{margin-bottom:0}
.login{max-width:420px;margin:8vh auto}
.login label{display:block;font-weight:600;margin-bottom:.35rem}
.login input[type=password]{width:100%;font:inherit;padding:.55rem .7rem;border:1px solid #d0d7de;border-radius:6px;margin-bottom:1rem}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f6f8fa;padding:.75rem;border-radius:6px;font-size:.85rem}
@media (max-width:640px){
  body{font-size:14px}
  .wrap{padding:0 .6rem}
  th,td{padding:.4rem .5rem}
  .hide-sm{display:none}
  dl.facts{grid-template-columns:1fr}
  dl.facts dd{margin-bottom:.35rem}
  .vhead .when{margin-left:0;width:100%}
  .scroll.cards{overflow:visible;background:none;border:0}
  table.cards,table.cards tbody,table.cards tr,table.cards td{display:block;width:100%}
  table.cards thead{display:none}
  table.cards tr{background:#fff;border:1px solid #d0d7de;border-radius:8px;margin-bottom:.6rem;padding:.4rem .2rem}
  table.cards td{display:flex;gap:.75rem;border:0;padding:.2rem .6rem;white-space:normal;overflow-wrap:anywhere;text-align:left}
  table.cards td>*{min-width:0}
  table.cards td::before{content:attr(data-label);flex:0 0 5.5rem;color:#656d76;font-size:.85rem}
  table.cards td:empty{display:none}
}
`
