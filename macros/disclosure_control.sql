{#-
    Statistical disclosure control for every BI mart; the method and its reasons are in _macros.yml (docs site).
    Pure SQL, no UDF: a fixed number of passes unrolled at compile time, then a check that fails the build (fail
    closed) if the pattern is not yet stable.
-#}
{% macro disclosure_control(relatie, sleutel, groeperingen, aantallen, deel_van={}, afgeleid={}) %}
    {%- set drempel = var('sdc_drempel', 5) | int -%}
    {%- set passes = var('sdc_passes', 8) | int -%}
    {%- if drempel < 1 -%}
        {{ exceptions.raise_compiler_error("sdc_drempel must be a positive integer, got " ~ drempel) }}
    {%- endif -%}
    {%- for kolom in aantallen -%}
        {%- if not kolom.startswith('aantal_') -%}
            {{ exceptions.raise_compiler_error("disclosure_control: count column '" ~ kolom ~ "' must be named aantal_…") }}
        {%- endif -%}
    {%- endfor -%}
    {%- for deel, geheel in deel_van.items() -%}
        {%- if deel not in aantallen or geheel not in aantallen -%}
            {{ exceptions.raise_compiler_error("disclosure_control: deel_van " ~ deel ~ " -> " ~ geheel ~ " must name two counts of aantallen") }}
        {%- endif -%}
    {%- endfor -%}
    {%- for groepering in groeperingen -%}
        {%- if 'golf' not in groepering['per'] -%}
            {{ exceptions.raise_compiler_error("disclosure_control: every grouping must be per golf, so that each wave is protected on its own by the same rule") }}
        {%- endif -%}
    {%- endfor -%}
    {%- set sleutel_lijst = sleutel | join(', ') -%}

    sdc_bron as (
        select * from {{ relatie }}
    ),

    {#- One row per published count cell: (key, which count, value, hidden). Primary suppression: 0 < value < drempel,
        and for a nested count also when the difference with its whole is (that difference is published implicitly). #}
    sdc_p0 as (
        {%- for kolom in aantallen %}
        select
            {{ sleutel_lijst }},
            '{{ kolom }}' as sdc_kolom,
            {{ kolom }} as sdc_waarde,
            coalesce(
                ({{ kolom }} > 0 and {{ kolom }} < {{ drempel }})
                {%- if kolom in deel_van %}
                or ({{ deel_van[kolom] }} - {{ kolom }} > 0 and {{ deel_van[kolom] }} - {{ kolom }} < {{ drempel }})
                {%- endif %},
                false
            ) as sdc_verborgen
        from sdc_bron
        {%- if not loop.last %}
        union all
        {%- endif %}
        {%- endfor %}
    ),

    {%- for pass in range(1, passes + 1) %}

    {#- A nested count whose whole is hidden is hidden too (otherwise whole = part + published complement). #}
    sdc_p{{ pass }}_genest as (
        select
            {{ sleutel_lijst }},
            sdc_kolom,
            sdc_waarde,
            (
                sdc_verborgen
                {%- for deel, geheel in deel_van.items() %}
                or (
                    sdc_kolom = '{{ deel }}'
                    and max(case when sdc_kolom = '{{ geheel }}' and sdc_verborgen then 1 else 0 end)
                        over (partition by {{ sleutel_lijst }}) = 1
                )
                {%- endfor %}
            ) as sdc_verborgen
        from sdc_p{{ pass - 1 }}
    ),

    {#- Secondary suppression: in a group of cells that sums to a published total, exactly one hidden cell would be
        total minus the published cells; hide the smallest visible cell as well (non-zero cells first, ties by key). #}
    sdc_p{{ pass }}_groepen as (
        select
            {{ sleutel_lijst }},
            sdc_kolom,
            sdc_waarde,
            sdc_verborgen
            {%- for groepering in groeperingen %}
            {%- set is_totaal = groepering.get('totaal', 'false') %}
            , ({{ is_totaal }}) as sdc_totaal_{{ loop.index }}
            , sum(case when sdc_verborgen then 1 else 0 end) over (
                partition by sdc_kolom, {{ groepering['per'] | join(', ') }}, ({{ is_totaal }})
            ) as sdc_verborgen_{{ loop.index }}
            , row_number() over (
                partition by sdc_kolom, {{ groepering['per'] | join(', ') }}, ({{ is_totaal }})
                order by
                    case when sdc_verborgen then 1 else 0 end,
                    case when sdc_waarde = 0 then 1 else 0 end,
                    sdc_waarde,
                    {{ sleutel_lijst }}
            ) as sdc_volgorde_{{ loop.index }}
            {%- endfor %}
        from sdc_p{{ pass }}_genest
    ),

    sdc_p{{ pass }} as materialized (
        select
            {{ sleutel_lijst }},
            sdc_kolom,
            sdc_waarde,
            (
                sdc_verborgen
                {%- for groepering in groeperingen %}
                or (
                    not sdc_totaal_{{ loop.index }}
                    and sdc_verborgen_{{ loop.index }} = 1
                    and sdc_volgorde_{{ loop.index }} = 1
                )
                {%- endfor %}
            ) as sdc_verborgen
        from sdc_p{{ pass }}_groepen
    ),
    {%- endfor %}

    {#- Fail closed: after the last pass no group may have exactly one hidden cell and no nested count may be visible
        under a hidden whole. Raise sdc_passes if this ever fires. #}
    sdc_onstabiel as (
        {%- for groepering in groeperingen %}
        {%- set is_totaal = groepering.get('totaal', 'false') %}
        select count(*) as aantal_groepen
        from (
            select sdc_kolom
            from sdc_p{{ passes }}
            where not ({{ is_totaal }})
            group by sdc_kolom, {{ groepering['per'] | join(', ') }}
            having sum(case when sdc_verborgen then 1 else 0 end) = 1 and count(*) > 1
        ) as sdc_groep_{{ loop.index }}
        union all
        {%- endfor %}
        select count(*) as aantal_groepen
        from sdc_p{{ passes }} as sdc_deel
        inner join sdc_p{{ passes }} as sdc_geheel
            on
            {%- for kolom in sleutel %}
            sdc_deel.{{ kolom }} is not distinct from sdc_geheel.{{ kolom }} and
            {%- endfor %}
            (
                false
                {%- for deel, geheel in deel_van.items() %}
                or (sdc_deel.sdc_kolom = '{{ deel }}' and sdc_geheel.sdc_kolom = '{{ geheel }}')
                {%- endfor %}
            )
        where sdc_geheel.sdc_verborgen and not sdc_deel.sdc_verborgen
    ),

    sdc_patroon as (
        select
            {{ sleutel_lijst }}
            {%- for kolom in aantallen %}
            , max(case when sdc_kolom = '{{ kolom }}' and sdc_verborgen then 1 else 0 end) = 1 as {{ kolom }}_onderdrukt
            {%- endfor %}
        from sdc_p{{ passes }}
        group by {{ sleutel_lijst }}
    ),

    sdc_resultaat as (
        select
            {%- for kolom in sleutel %}
            sdc_bron.{{ kolom }},
            {%- endfor %}
            {%- for kolom in aantallen %}
            case when sdc_patroon.{{ kolom }}_onderdrukt then null else sdc_bron.{{ kolom }} end as {{ kolom }},
            sdc_patroon.{{ kolom }}_onderdrukt
            {%- if not loop.last or afgeleid %},{% endif %}
            {%- endfor %}
            {%- for kolom, basis in afgeleid.items() %}
            case
                when {% for b in basis %}sdc_patroon.{{ b }}_onderdrukt{% if not loop.last %} or {% endif %}{% endfor %}
                    then null
                else sdc_bron.{{ kolom }}
            end as {{ kolom }}
            {%- if not loop.last %},{% endif %}
            {%- endfor %}
        from sdc_bron
        inner join sdc_patroon
            on
            {%- for kolom in sleutel %}
            sdc_bron.{{ kolom }} is not distinct from sdc_patroon.{{ kolom }}
            {%- if not loop.last %} and{% endif %}
            {%- endfor %}
        where
            case
                when (select sum(aantal_groepen) from sdc_onstabiel) > 0
                    then error('disclosure_control: suppression pattern not stable after {{ passes }} passes; raise var sdc_passes')
                else true
            end
    )
{%- endmacro %}
