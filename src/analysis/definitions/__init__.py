"""The legal definitions of trafficking, and what the recorded cases say about them.

`instruments`: the four instruments as data and the comparisons derived from them;
`mapping`: the reviewed mapping of dataset categories to each instrument's purposes, and the
level each record reaches; `shares`: the shares and counts computed from the data. What a
report shows of them is in `analysis.publish.definition_views`.
"""
