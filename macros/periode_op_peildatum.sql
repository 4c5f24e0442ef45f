{#- The period of a VDAB history table valid on the reference date, per linked INSZ. One rule for every history:
    geldig_tot is the last valid day (inclusive); when two periods both cover the date (a change on exactly that day
    written with an exclusive end, or two client records), the period that started last wins, then the lowest code,
    so the answer is deterministic. Renders a select of `insz`, the code column and `volgorde` (1 = the valid one). -#}
{% macro periode_op_peildatum(historiek, code_kolom) -%}
    {%- set peildatum = "cast('" ~ var('peildatum') ~ "' as date)" -%}
    select
        koppeling.insz,
        historiek.{{ code_kolom }},
        row_number() over (
            partition by koppeling.insz
            order by historiek.geldig_van desc, historiek.{{ code_kolom }} asc
        ) as volgorde
    from {{ ref('int_vdab_klanten_gekoppeld') }} as koppeling
    inner join {{ historiek }} as historiek
        on koppeling.klant_id = historiek.klant_id
    where
        historiek.{{ code_kolom }} is not null
        and historiek.geldig_van <= {{ peildatum }}
        and (historiek.geldig_tot is null or historiek.geldig_tot >= {{ peildatum }})
{%- endmacro %}
