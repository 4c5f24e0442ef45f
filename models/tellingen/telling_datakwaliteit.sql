{#-
    The true counts of persons behind mart_datakwaliteit, with the cell key of each count (macro ckm_telling): the
    newcomers of the pseudonymised dataset (bron koppeling_vdab: all, not in the enrichment, not known to VDAB) and,
    per VDAB attribute, those known to VDAB and those with the attribute empty (bron verrijking). These are the same
    populations the other marts publish (all newcomers, the `onbekend` status and category), so they are published by
    the same cell key method, never by a second rule. Grain: one row per golf x bron x veld; a count that does not
    apply to a row is 0 here and NULL in the mart.
-#}
{%- set vdab_velden = ['eerste_inschrijving', 'huidige_categorie_werkzoekende', 'status_dienstverlening'] -%}

with

dataset as (
    {{ ckm_personen() }}
),

geteld as (
    select
        dataset.golf,
        'koppeling_vdab' as bron,
        'insz' as veld,
        {{ ckm_telling('aantal_rijen') }},
        {{ ckm_telling('aantal_leeg', 'not dataset.in_verrijking') }},
        {{ ckm_telling('aantal_niet_gekoppeld', 'not coalesce(dataset.gekend_bij_vdab, false)') }}
    from dataset
    group by dataset.golf
    {%- for kolom in vdab_velden %}
        union all
        select
            dataset.golf,
            'verrijking' as bron,
            '{{ kolom }}' as veld,
            {{ ckm_telling('aantal_rijen', 'dataset.gekend_bij_vdab') }},
            {{ ckm_telling('aantal_leeg', 'dataset.gekend_bij_vdab and dataset.' ~ kolom ~ ' is null') }},
            0 as aantal_niet_gekoppeld,
            0 as aantal_niet_gekoppeld_celsleutel
        from dataset
        group by dataset.golf
    {%- endfor %}
)

select
    cast(geteld.golf as varchar) as golf,
    cast(geteld.bron as varchar) as bron,
    cast(geteld.veld as varchar) as veld,
    {%- for aantal in ['aantal_rijen', 'aantal_leeg', 'aantal_niet_gekoppeld'] %}
        cast(geteld.{{ aantal }} as bigint) as {{ aantal }},
        cast(geteld.{{ aantal }}_celsleutel as integer) as {{ aantal }}_celsleutel{% if not loop.last %},{% endif %}
    {%- endfor %}
from geteld
