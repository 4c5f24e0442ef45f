{#-
    The INSZ rules of scripts/pijler3/insz.py in SQL (a test proves both agree on a large sample).
    insz_ongeldig_reden(expr): NULL for a valid INSZ, else the first rule it breaks, in the order insz.py checks them:
    leeg, tekens, lengte, nullen, controlegetal, maand. insz_normaliseer(expr): the 11 digits, or NULL when invalid.
    The century rule needs "today": the year of var('peildatum'), so a rerun of a wave gives the same answer.
    Dispatched so another adapter (PostgreSQL, see DESIGN "scale path") can add <adapter>__insz_... versions.
-#}

{% macro insz_normaliseer(expr) -%}
    {{ return(adapter.dispatch('insz_normaliseer', 'pijler3')(expr)) }}
{%- endmacro %}

{% macro insz_ongeldig_reden(expr) -%}
    {{ return(adapter.dispatch('insz_ongeldig_reden', 'pijler3')(expr)) }}
{%- endmacro %}

{#- Python's str.strip() removes every Unicode white-space character at both ends (the class below is exactly
    str.isspace()), then str.translate() drops " .-" everywhere. -#}
{% macro duckdb__insz_compact(expr) -%}
    {%- set wit = '[\\x{09}-\\x{0d}\\x{1c}-\\x{20}\\x{85}\\x{a0}\\x{1680}\\x{2000}-\\x{200a}\\x{2028}\\x{2029}\\x{202f}\\x{205f}\\x{3000}]+' -%}
    regexp_replace(regexp_replace({{ expr }}, '^{{ wit }}|{{ wit }}$', '', 'g'), '[ .-]', '', 'g')
{%- endmacro %}

{% macro duckdb__insz_ongeldig_reden(expr) -%}
    {%- set peiljaar = (var('peildatum') | string)[:4] | int -%}
    {%- set c = duckdb__insz_compact(expr) -%}
    case
        when {{ expr }} is null or {{ c }} = '' then 'leeg'
        when not regexp_full_match({{ c }}, '[0-9]+') then 'tekens'
        when length({{ c }}) != 11 then 'lengte'
        when {{ c }} = '00000000000' then 'nullen'
        when not (
            97 - cast(left({{ c }}, 9) as bigint) % 97 = cast(right({{ c }}, 2) as integer)
            or (
                2000 + cast(left({{ c }}, 2) as integer) <= {{ peiljaar }}
                and 97 - (2000000000 + cast(left({{ c }}, 9) as bigint)) % 97 = cast(right({{ c }}, 2) as integer)
            )
        ) then 'controlegetal'
        when not (
            cast(substr({{ c }}, 3, 2) as integer) <= 12
            or cast(substr({{ c }}, 3, 2) as integer) between 20 and 32
            or cast(substr({{ c }}, 3, 2) as integer) between 40 and 52
        ) then 'maand'
    end
{%- endmacro %}

{% macro duckdb__insz_normaliseer(expr) -%}
    case when {{ duckdb__insz_ongeldig_reden(expr) }} is null then {{ duckdb__insz_compact(expr) }} end
{%- endmacro %}
