/**
 * @module The pages' one stylesheet and one script, inlined and allowed by their SHA-256 hashes in
 * the Content-Security-Policy, so the pages load nothing else from anywhere (RFC 9700 §4.2.4).
 */
import { sha256 } from '@oslojs/crypto/sha2'
import { encodeBase64 } from '@oslojs/encoding'

export const STYLESHEET = `
:root{--ink:#1c2430;--muted:#5b6675;--line:#dfe3ea;--bg:#f4f6f9;--card:#fff;--brand:#2f5bd3;--brand-ink:#fff;
--danger:#b42318;--ok:#067647;--radius:10px;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
color:var(--ink);background:var(--bg);line-height:1.5}
*{box-sizing:border-box}body{margin:0;min-height:100vh;display:flex;flex-direction:column}
a{color:var(--brand)}a:hover{text-decoration:none}
header.top{background:var(--card);border-bottom:1px solid var(--line)}
.bar{max-width:920px;margin:0 auto;padding:.75rem 1rem;display:flex;gap:1.5rem;align-items:center}
.brand{font-weight:700;color:var(--ink);text-decoration:none;display:flex;gap:.5rem;align-items:center}
.brand::before{content:"";width:1.25rem;height:1.25rem;border-radius:5px;background:linear-gradient(135deg,#2f5bd3,#7a5af8)}
nav.main{display:flex;gap:1.25rem;flex:1 1 auto;white-space:nowrap}nav.main a{color:var(--muted);text-decoration:none;padding:.2rem 0}
nav.main a:hover,nav.main a[aria-current]{color:var(--ink)}nav.main a[aria-current]{box-shadow:inset 0 -2px var(--brand)}
.who{display:flex;gap:.5rem;align-items:center;color:var(--muted);font-size:.9rem;margin-left:auto;white-space:nowrap}
main{width:100%;max-width:920px;margin:0 auto;padding:1.5rem 1rem 3rem;flex:1}
main.narrow{max-width:440px}
h1{font-size:1.6rem;margin:.2rem 0 1rem;line-height:1.25}h2{font-size:1.15rem;margin:1.5rem 0 .5rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:var(--radius);padding:1.25rem;margin:0 0 1rem}
.lead{color:var(--muted);margin-top:-.5rem}
label{display:block;font-weight:600;margin:.9rem 0 .3rem}
.hint{display:block;font-weight:400;color:var(--muted);font-size:.875rem}
input[type=text],input[type=password],input[type=url],textarea,select{width:100%;font:inherit;padding:.55rem .7rem;
border:1px solid #c5ccd6;border-radius:8px;background:#fff;color:inherit}
textarea{min-height:4.5rem;resize:vertical}
input:focus,textarea:focus,select:focus,button:focus-visible,a:focus-visible{outline:3px solid #b7c8f5;outline-offset:1px}
.check{display:flex;gap:.6rem;align-items:flex-start;font-weight:600;margin:1rem 0 .3rem}.check input{margin-top:.3rem}
.field-error{color:var(--danger)}.field-error{font-size:.9rem;margin:.3rem 0 0}
.invalid input,.invalid textarea,.invalid select{border-color:var(--danger)}
.actions{display:flex;gap:.6rem;flex-wrap:wrap;margin-top:1.25rem;align-items:center}
button,.button{font:inherit;font-weight:600;border-radius:8px;padding:.55rem 1.1rem;border:1px solid var(--brand);
background:var(--brand);color:var(--brand-ink);cursor:pointer;text-decoration:none;display:inline-block;text-align:center}
button.secondary,.button.secondary{background:#fff;color:var(--ink);border-color:#c5ccd6}
button.danger,.button.danger{background:var(--danger);border-color:var(--danger);color:#fff}
button.link{background:none;border:0;color:var(--brand);padding:0;font-weight:400;text-decoration:underline}
.alert{border-radius:8px;padding:.75rem 1rem;margin:0 0 1rem;border:1px solid}
.alert.error{background:#fef3f2;border-color:#fecdca;color:#7a271a}.alert.success{background:#ecfdf3;border-color:#abefc6;color:#054f31}
.alert.warn{background:#fffaeb;border-color:#fedf89;color:#7a2e0e}
dl.props{display:grid;grid-template-columns:minmax(8rem,max-content) 1fr;gap:.5rem 1rem;margin:0}
dl.props dt{color:var(--muted)}dl.props dd{margin:0;min-width:0;overflow-wrap:anywhere}
.secret{display:flex;gap:.5rem;align-items:stretch}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em}
.secret code{flex:1;background:var(--bg);border:1px solid var(--line);border-radius:8px;padding:.45rem .6rem;overflow-wrap:anywhere}
table.list{width:100%;border-collapse:collapse}table.list th{text-align:left;color:var(--muted);font-weight:600;font-size:.875rem}
table.list th,table.list td{padding:.65rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
.tag{display:inline-block;background:#eef2fb;color:#2b3f7a;border-radius:999px;padding:.05rem .55rem;font-size:.8rem;margin:0 .25rem .25rem 0}
.empty{color:var(--muted);text-align:center;padding:2rem 1rem}
ul.scopes{list-style:none;padding:0;margin:.5rem 0 0}ul.scopes li{padding:.5rem 0 .5rem 1.75rem;position:relative;border-top:1px solid var(--line)}
ul.scopes li::before{content:"✓";position:absolute;left:.35rem;color:var(--ok);font-weight:700}
.consent-app{font-size:1.05rem}.muted{color:var(--muted)}.small{font-size:.875rem}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(230px,1fr));gap:1rem;margin-bottom:1rem}.grid>.card{margin:0}
.card>:first-child,.card>div:first-child>label{margin-top:0}.card>:last-child{margin-bottom:0}
ul.links{list-style:none;padding:0;margin:0}ul.links li{padding:.55rem 0;border-top:1px solid var(--line)}ul.links li:first-child{border-top:0}
footer{color:var(--muted);font-size:.85rem;text-align:center;padding:1rem}
@media (max-width:600px){.bar{flex-wrap:wrap;row-gap:.35rem;column-gap:1rem}.who-label{display:none}
nav.main{order:3;width:100%;overflow-x:auto}h1{font-size:1.35rem}.card{padding:1rem}dl.props{grid-template-columns:1fr;gap:.1rem}
dl.props dd{margin-bottom:.6rem}table.list thead{display:none}table.list tr{display:block;border-bottom:1px solid var(--line);padding:.5rem 0}
table.list td{display:block;border:0;padding:.2rem 0}.actions button,.actions .button{flex:1}}
`

/** Copy buttons: `<button data-copy="id-of-element">` copies that element's text. */
export const SCRIPT = `document.addEventListener('click',function(e){var b=e.target.closest('[data-copy]');if(!b)return;
var t=document.getElementById(b.getAttribute('data-copy'));if(!t||!navigator.clipboard)return;
navigator.clipboard.writeText(t.textContent).then(function(){var l=b.textContent;b.textContent='Copied';setTimeout(function(){b.textContent=l},1500)})})`

const hash = (text: string) => `'sha256-${encodeBase64(sha256(new TextEncoder().encode(text)))}'`

/**
 * The pages' policy: nothing but the two inline blocks above, the page's own forms and links, and
 * no framing (RFC 9700 §4.16). No `form-action`: the consent form's redirect goes to the client.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `style-src ${hash(STYLESHEET)}`,
  `script-src ${hash(SCRIPT)}`,
  "img-src 'self' data:",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ')
