{#-
    The headline indicators of the third pillar per wave, for the evolution over the protocol’s five years (art. 3:
    "vergelijkingen tussen de verschillende metingen"). Grain: one row per golf x indicator.
    Each indicator is read from the perturbed `totaal` row of its mart, with that mart’s flags, instead of being
    recounted: the cell key method gives the same population the same published value, so the figures here are
    exactly those of the source marts and add no new view on the data.
-#}
with

indicatoren as (
    {%- for kerncijfer in mart_kerncijfers() %}
        select
            bron.golf,
            '{{ kerncijfer.indicator }}' as indicator,
            bron.{{ kerncijfer.teller }} as aantal_teller,
            bron.{{ kerncijfer.teller }}_onderdrukt as aantal_teller_onderdrukt,
            bron.{{ kerncijfer.noemer }} as aantal_noemer,
            bron.{{ kerncijfer.noemer }}_onderdrukt as aantal_noemer_onderdrukt
        from {{ ref(kerncijfer.mart) }} as bron
        where bron.dimensie = 'totaal'
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
)

-- Percentages from the published (perturbed) counts, as in the source marts.
select
    cast(indicatoren.golf as varchar) as golf,
    cast(indicatoren.indicator as varchar) as indicator,
    cast(indicatoren.aantal_teller as bigint) as aantal_teller,
    indicatoren.aantal_teller_onderdrukt,
    cast(indicatoren.aantal_noemer as bigint) as aantal_noemer,
    indicatoren.aantal_noemer_onderdrukt,
    cast({{ ckm_percentage('indicatoren.aantal_teller', 'indicatoren.aantal_noemer') }} as double) as percentage
from indicatoren
