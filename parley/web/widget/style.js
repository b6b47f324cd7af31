// The widget's stylesheet, inside its shadow root: the page's CSS cannot reach it, and it reaches nothing outside.
// The hidden star inputs are positioned inside their own group: positioned against the panel, focusing one scrolled
// the whole panel (header and close button included) to where it sat.

export const CSS = `
:host{all:initial}
*{box-sizing:border-box}
[hidden]{display:none!important}
.root{--accent:#2563eb;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#0f172a;-webkit-text-size-adjust:100%}
button,textarea,input{font:inherit;color:inherit}
button{cursor:pointer}
button:focus-visible,textarea:focus-visible,a:focus-visible,.log:focus-visible,.review.done:focus-visible,.stars input:focus-visible+label{outline:2px solid var(--accent);outline-offset:2px}
svg{width:22px;height:22px;display:block}
.launcher{position:fixed;right:20px;bottom:20px;width:56px;height:56px;border-radius:50%;border:0;padding:0;background:var(--accent);color:#fff;display:grid;place-items:center;box-shadow:0 6px 20px rgba(15,23,42,.3)}
.launcher svg{width:28px;height:28px}
.badge{position:absolute;top:-4px;right:-4px;min-width:22px;height:22px;padding:0 6px;border-radius:11px;background:#dc2626;color:#fff;font-size:12px;font-weight:700;line-height:22px;text-align:center;border:2px solid #fff}
.panel{position:fixed;right:20px;bottom:88px;width:370px;height:min(600px,calc(100vh - 108px));display:flex;flex-direction:column;background:#fff;border-radius:16px;box-shadow:0 12px 48px rgba(15,23,42,.28);overflow:hidden}
header{display:flex;align-items:center;gap:10px;padding:12px 12px 12px 16px;background:var(--accent);color:#fff}
.avatar{width:38px;height:38px;border-radius:50%;background:rgba(255,255,255,.22);display:grid;place-items:center;font-weight:700;flex:none;overflow:hidden}
.avatar img{width:100%;height:100%;object-fit:cover}
.who{flex:1;min-width:0}
h2{margin:0;font-size:16px;font-weight:650;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.presence{margin:0;font-size:12px;opacity:.9}
.presence.online::before{content:"";display:inline-block;width:8px;height:8px;border-radius:50%;background:#4ade80;margin-right:5px;vertical-align:1px}
.icon{border:0;background:transparent;padding:8px;border-radius:8px;color:inherit;flex:none}
.icon:hover{background:rgba(127,127,127,.15)}
.icon:disabled{opacity:.4;cursor:default}
.banner{margin:0;padding:8px 14px;font-size:13px;background:#fef3c7;color:#78350f}
.banner.error{background:#fee2e2;color:#7f1d1d}
.log{flex:1;overflow-y:auto;margin:0;padding:14px 12px;display:flex;flex-direction:column;gap:8px;background:#f8fafc}
.empty{align-self:center;text-align:center;color:#475569;margin:0;padding:24px 12px;white-space:pre-wrap}
.msg{display:flex;flex-direction:column;max-width:82%;align-self:flex-start}
.msg.me{align-self:flex-end;align-items:flex-end}
.msg.bot{align-self:center;align-items:center;max-width:92%}
.author{font-size:12px;color:#475569;margin:0 4px 2px}
.bubble{padding:8px 12px;border-radius:16px;background:#fff;border:1px solid #e2e8f0;white-space:pre-wrap;overflow-wrap:anywhere;max-width:100%}
.me .bubble{background:var(--accent);border-color:transparent;color:#fff;border-bottom-right-radius:4px}
.them .bubble{border-bottom-left-radius:4px}
.bot .bubble{background:#eef2ff;border-color:#e0e7ff;text-align:center}
.pending .bubble{opacity:.65}
.failed .bubble{opacity:.8;outline:1px solid #dc2626}
.meta{font-size:11px;color:#64748b;margin:2px 4px 0}
.status.read{color:var(--accent);font-weight:600}
.error{color:#b91c1c;font-size:12px;margin:2px 4px 0}
.link{border:0;background:none;padding:0;color:var(--accent);text-decoration:underline;font-size:inherit}
.banner .link{color:inherit}
.bubble a{color:inherit}
.bubble img{display:block;max-width:100%;height:auto;border-radius:10px}
.bubble:has(> a.image){padding:4px}
.file{display:flex;flex-direction:column;text-decoration:none}
.fname{text-decoration:underline;font-weight:600;overflow-wrap:anywhere}
.fsize{font-size:12px;opacity:.8}
.typing{margin:0;padding:0 14px;min-height:18px;font-size:12px;color:#475569;font-style:italic;background:#f8fafc}
.locked{margin:0;padding:14px;text-align:center;color:#475569;border-top:1px solid #e2e8f0}
.ask{display:flex;flex-wrap:wrap;align-items:center;gap:6px;margin:0;padding:10px 14px;border-top:1px solid #e2e8f0;background:#f8fafc;font-size:13px;color:#334155}
.ask label{flex-basis:100%}
.ask input{flex:1;min-width:0;border:1px solid #cbd5e1;border-radius:10px;padding:6px 8px;background:#fff}
.ask .error{flex-basis:100%;margin:0}
.composer{display:flex;align-items:flex-end;gap:4px;padding:8px;border-top:1px solid #e2e8f0;background:#fff}
.composer textarea{flex:1;resize:none;border:1px solid #cbd5e1;border-radius:12px;padding:8px 10px;min-height:38px;max-height:120px;background:#fff;line-height:1.4}
.composer textarea:disabled{background:#f1f5f9}
.send{color:var(--accent)}
.review{background:#fff;border:1px solid #e2e8f0;border-radius:14px;padding:12px;display:flex;flex-direction:column;gap:8px;min-width:240px;text-align:center}
.review p{margin:0}
.stars{position:relative;display:flex;justify-content:center;gap:2px;font-size:26px;line-height:1;color:#f59e0b}
.stars input{position:absolute;left:50%;top:0;opacity:0;width:1px;height:1px;margin:0}
.stars label{cursor:pointer;color:#cbd5e1;padding:2px}
.stars label.on{color:#f59e0b}
.review textarea{resize:vertical;border:1px solid #cbd5e1;border-radius:10px;padding:6px 8px}
.primary{border:0;border-radius:10px;padding:8px 12px;background:var(--accent);color:#fff;font-weight:600}
.primary:disabled{opacity:.5;cursor:default}
.comment{font-style:italic;color:#475569}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
@media (max-width:480px){.panel{inset:0;width:auto;height:auto;border-radius:0}.open .launcher{display:none}.msg{max-width:88%}}
@media (prefers-reduced-motion:no-preference){.launcher{transition:transform .15s}.launcher:hover{transform:scale(1.05)}}
`;
