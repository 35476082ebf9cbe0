"""The report's stylesheet (inline; system fonts only, nothing fetched)."""

CSS = """
:root { --asis: #4c72b0; --tobe: #dd8452; --gain: #2e7d32; --loss: #c62828; --ink: #222;
        --muted: #666; --rule: #ddd; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
       sans-serif; color: var(--ink); margin: 0 auto; max-width: 60rem; padding: 1.5rem;
       line-height: 1.45; font-size: 15px; background: #fff; }
h1 { font-size: 1.6rem; margin: 0 0 .2rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 .6rem; border-bottom: 2px solid var(--rule);
     padding-bottom: .2rem; }
h3 { font-size: 1rem; margin: 1.2rem 0 .4rem; }
p.sub { color: var(--muted); margin: 0 0 1rem; }
.headline { display: grid; grid-template-columns: repeat(auto-fit, minmax(10.5rem, 1fr));
            gap: .8rem; margin: 1rem 0; }
.card { border: 1px solid var(--rule); border-radius: 6px; padding: .7rem .9rem;
        break-inside: avoid; page-break-inside: avoid; }
.card .v { font-size: 1.45rem; font-weight: 700; }
.card .ci { color: var(--muted); font-size: .85rem; }
.card .k { font-size: .85rem; color: var(--muted); }
.sig { color: #1f4e79; font-weight: 600; font-size: .8rem; }
.nosig { color: var(--loss); font-weight: 600; font-size: .8rem; }
.summary { font-size: 1.05rem; }
figure { margin: 1rem 0; break-inside: avoid; page-break-inside: avoid; }
figure img { display: block; max-width: 100%; height: auto; border: 1px solid #f0f0f0; }
figcaption { color: var(--muted); font-size: .85rem; margin-top: .3rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; font-size: .88rem;
        break-inside: avoid; page-break-inside: avoid; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--rule);
         vertical-align: top; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
thead th { background: #f6f6f6; }
tr { break-inside: avoid; page-break-inside: avoid; }
ol.changes li { margin: .2rem 0; }
code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace;
            font-size: .85rem; }
pre { background: #f7f7f7; padding: .6rem; overflow-x: auto; white-space: pre-wrap;
      break-inside: avoid; page-break-inside: avoid; }
.note { color: var(--muted); font-size: .85rem; }
footer { margin-top: 2rem; color: var(--muted); font-size: .8rem; border-top: 1px solid
         var(--rule); padding-top: .5rem; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  h2 { break-after: avoid; page-break-after: avoid; }
  h3 { break-after: avoid; page-break-after: avoid; }
  figure, table, .card, pre { break-inside: avoid; page-break-inside: avoid; }
  img { max-width: 100% !important; }
  a { color: inherit; text-decoration: none; }
}
@page { size: A4; margin: 15mm; }
"""
