{#-
    What the cell key method costs in accuracy, measured per wave and per mart by comparing every published count
    with the true count behind it (models/tellingen): the share of cells published, whether every cell with a true
    count of 10 or more is published, the mean absolute deviation, the largest relative deviation of cells of 100 or
    more, and (row `alle marts`) the largest difference between a published headline percentage and the true one.
    Read by the DPO’s evidence report and shown on the docs site; holds no count, only these figures.
    Grain: one row per golf x mart, plus one row per golf with mart `alle marts`.
-#}
{%- set tellingen = mart_tellingen() -%}

with

cellen as (
    {%- for mart, beschrijving in tellingen.items() %}
        {%- set mart_loop = loop %}
        {%- for aantal in beschrijving['aantallen'] %}
            select
                waar.golf,
                '{{ mart }}' as mart,
                waar.{{ aantal }} as aantal_waar,
                gepubliceerd.{{ aantal }} as aantal_gepubliceerd
            from {{ ref(beschrijving['telling']) }} as waar
            inner join {{ ref(mart) }} as gepubliceerd
                on
                    {%- for kolom in beschrijving['sleutel'] %}
                        waar.{{ kolom }} = gepubliceerd.{{ kolom }}{% if not loop.last %} and{% endif %}
                    {%- endfor %}
            {%- if not (mart_loop.last and loop.last) %}
                union all
            {%- endif %}
        {%- endfor %}
    {%- endfor %}
),

kerncijfers as (
    {%- for kerncijfer in mart_kerncijfers() %}
        select
            gepubliceerd.golf,
            abs(
                gepubliceerd.percentage
                - round(100.0 * waar.{{ kerncijfer.teller }} / nullif(waar.{{ kerncijfer.noemer }}, 0), 1)
            ) as verschil_procentpunt
        from {{ ref('mart_evolutie_kerncijfers') }} as gepubliceerd
        inner join {{ ref(tellingen[kerncijfer.mart]['telling']) }} as waar
            on
                gepubliceerd.golf = waar.golf
                and waar.dimensie = 'totaal'
                and gepubliceerd.indicator = '{{ kerncijfer.indicator }}'
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

per_mart as (
    {%- for groep in ['cellen.mart', "'alle marts'"] %}
        select
            cellen.golf,
            {{ groep }} as mart,
            count(*) as aantal_cellen,
            count(cellen.aantal_gepubliceerd) as aantal_gepubliceerd,
            count(*) filter (where cellen.aantal_waar > 0) as aantal_cellen_niet_nul,
            count(cellen.aantal_gepubliceerd) filter (where cellen.aantal_waar > 0) as aantal_gepubliceerd_niet_nul,
            count(*) filter (where cellen.aantal_waar >= 10) as aantal_cellen_vanaf_10,
            count(*) filter (where cellen.aantal_waar >= 10 and cellen.aantal_gepubliceerd is null)
                as aantal_verborgen_vanaf_10,
            avg(abs(cellen.aantal_gepubliceerd - cellen.aantal_waar)) as gemiddelde_absolute_afwijking,
            max(100.0 * abs(cellen.aantal_gepubliceerd - cellen.aantal_waar) / cellen.aantal_waar) filter (
                where cellen.aantal_waar >= 100
            ) as grootste_relatieve_afwijking_vanaf_100
        from cellen
        group by cellen.golf{% if groep == 'cellen.mart' %}, cellen.mart{% endif %}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
)

select
    cast(per_mart.golf as varchar) as golf,
    cast(per_mart.mart as varchar) as mart,
    cast(per_mart.aantal_cellen as bigint) as aantal_cellen,
    cast(per_mart.aantal_gepubliceerd as bigint) as aantal_gepubliceerd,
    cast(round(100.0 * per_mart.aantal_gepubliceerd / per_mart.aantal_cellen, 1) as double)
        as percentage_gepubliceerd,
    cast(
        round(100.0 * per_mart.aantal_gepubliceerd_niet_nul / nullif(per_mart.aantal_cellen_niet_nul, 0), 1) as double
    ) as percentage_gepubliceerd_niet_nul,
    cast(per_mart.aantal_cellen_vanaf_10 as bigint) as aantal_cellen_vanaf_10,
    cast(per_mart.aantal_verborgen_vanaf_10 as bigint) as aantal_verborgen_vanaf_10,
    cast(round(per_mart.gemiddelde_absolute_afwijking, 3) as double) as gemiddelde_absolute_afwijking,
    cast(round(per_mart.grootste_relatieve_afwijking_vanaf_100, 2) as double)
        as grootste_relatieve_afwijking_vanaf_100,
    cast(
        case
            when per_mart.mart = 'alle marts'
                then (
                    select round(max(kerncijfers.verschil_procentpunt), 2)
                    from kerncijfers
                    where kerncijfers.golf = per_mart.golf
                )
        end as double
    ) as grootste_verschil_kernpercentage
from per_mart
