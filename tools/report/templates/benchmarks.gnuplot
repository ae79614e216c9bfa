set terminal ${term}
set output '${png}'
set multiplot layout ${layout} title "uvafd vs libuv 1.44.2 vs raw-ntdll floor, ${wine_version}, ${nproc} CPUs, ${day}"
set datafile missing "-"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics
set key below
set xtics nomirror rotate by -20
set title 'throughput relative to libuv (libuv = 1; higher is better; medians of per-round ratios, bars: the intervals of the table below; ${rounds} rounds of ${secs} s, async ${async_rounds}, idle ${idle_rounds})'
set ylabel 'x libuv'
set yrange [0:*]
set style histogram errorbars gap 1 lw 1
plot '${rates}' using 2:3:4:xtic(1) title 'uvafd', '' using 5:6:7 title 'libuv 1.44.2', '' using 8:9:10 title 'floor (raw ntdll)'
set style histogram clustered gap 1
{{if calls}}
set title 'wineserver requests per event (Wine server trace; lower is better)'
set ylabel 'requests per event'
set yrange [0:*]
plot '${calls}' using 2:xtic(1) title 'uvafd', '' using 3 title 'libuv 1.44.2', '' using 4 title 'floor (raw ntdll)'
{{end}}
unset multiplot
