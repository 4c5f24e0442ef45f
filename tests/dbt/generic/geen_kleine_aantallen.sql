{#- Rows where a published count (every column aantal_… of the model, read from the built table) lies in
    1 … sdc_drempel - 1: the cell key method withholds such values, so any row here is a leak. -#}
{% test geen_kleine_aantallen(model) %}
{%- set drempel = ckm_drempel() -%}
{%- set controles = [] -%}
{%- if execute -%}
    {%- for kolom in adapter.get_columns_in_relation(model)
        if kolom.name.startswith('aantal_') and not kolom.name.endswith('_onderdrukt') -%}
        {%- do controles.append(
            "select '" ~ kolom.name ~ "' as kolom, " ~ kolom.name ~ " as waarde from " ~ model
            ~ " where " ~ kolom.name ~ " between 1 and " ~ (drempel - 1)
        ) -%}
    {%- endfor -%}
{%- endif %}
{{ controles | join('\nunion all\n') if controles else 'select null as kolom, null as waarde where false' }}
{% endtest %}
