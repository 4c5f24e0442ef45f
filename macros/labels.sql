{#-
    Helpers for the staging models. label_sleutel: the normalised form under which seeds/*_labels.csv list the
    spellings of a label (lower case, accents removed, white space collapsed); NULL for an empty value.
    kbi_datum: a KBI date (dd/mm/yyyy) as DATE, NULL when empty or impossible (e.g. 31/02/2024).
    problemen: a comma-separated list of the names whose condition holds, NULL when none does.
-#}

{% macro label_sleutel(expr) -%}
    nullif(lower(trim(regexp_replace(strip_accents({{ expr }}), '\s+', ' ', 'g'))), '')
{%- endmacro %}

{% macro kbi_datum(expr) -%}
    cast(try_strptime(trim({{ expr }}), '%d/%m/%Y') as date)
{%- endmacro %}

{% macro problemen(voorwaarden) -%}
    nullif(concat_ws(
        ','{% for naam, voorwaarde in voorwaarden.items() %},
        case when {{ voorwaarde }} then '{{ naam }}' end
        {%- endfor %}
    ), '')
{%- endmacro %}
