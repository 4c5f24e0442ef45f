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
        {%- if 'golf' not in groepering['per'] or 'golf' in groepering.get('marge', {}) -%}
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

    {%- for pass in range(1, passes + 2) %}

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

    {#- Secondary suppression. A group's cells sum to its margin (the published total row, `marge`), so exactly one
        hidden cell is the margin minus the visible ones. Per group: if one cell is hidden, or none while the margin
        is, hide the smallest visible cell too (non-zero first, ties by key); if a cell is hidden and none is left
        visible, hide the margin. sdc_p<pass>_g<j>: is the group's margin hidden; sdc_p<pass>_m<j>: must a margin
        row be hidden for any group it is the margin of. -#}
    {%- for groepering in groeperingen %}
    {%- set j = loop.index %}
    {%- set marge = groepering.get('marge', {}) %}
    {%- set koppel = [] %}
    {%- for kolom in groepering['per'] if kolom not in marge %}{% do koppel.append(kolom) %}{% endfor %}

    sdc_p{{ pass }}_g{{ j }} as (
        select
            {{ koppel | join(', ') }},
            sdc_kolom,
            max(case when sdc_verborgen then 1 else 0 end) as sdc_marge_verborgen
        from sdc_p{{ pass }}_genest
        where {{ sdc_is_marge(marge) }}
        group by {{ koppel | join(', ') }}, sdc_kolom
    ),

    sdc_p{{ pass }}_m{{ j }} as (
        select
            {{ koppel | join(', ') }},
            sdc_kolom,
            max(case when sdc_verborgen_cellen = 1 and sdc_zichtbare_cellen = 0 then 1 else 0 end) as sdc_marge_verbergen
        from (
            select
                {{ groepering['per'] | join(', ') }},
                sdc_kolom,
                sum(case when sdc_verborgen then 1 else 0 end) as sdc_verborgen_cellen,
                sum(case when sdc_verborgen then 0 else 1 end) as sdc_zichtbare_cellen
            from sdc_p{{ pass }}_genest
            where not {{ sdc_is_marge(marge) }}
            group by {{ groepering['per'] | join(', ') }}, sdc_kolom
        ) as sdc_groep
        group by {{ koppel | join(', ') }}, sdc_kolom
    ),
    {%- endfor %}

    sdc_p{{ pass }}_groepen as (
        select
            {%- for kolom in sleutel %}
            sdc_cel.{{ kolom }},
            {%- endfor %}
            sdc_cel.sdc_kolom,
            sdc_cel.sdc_waarde,
            sdc_cel.sdc_verborgen
            {%- for groepering in groeperingen %}
            {%- set j = loop.index %}
            {%- set marge = groepering.get('marge', {}) %}
            {%- set per = [] %}
            {%- for kolom in groepering['per'] %}{% do per.append('sdc_cel.' ~ kolom) %}{% endfor %}
            , {{ sdc_is_marge(marge, 'sdc_cel.') }} as sdc_is_marge_{{ j }}
            , coalesce(sdc_g{{ j }}.sdc_marge_verborgen, 0) as sdc_marge_verborgen_{{ j }}
            , coalesce(sdc_m{{ j }}.sdc_marge_verbergen, 0) as sdc_marge_verbergen_{{ j }}
            , sum(case when sdc_cel.sdc_verborgen then 1 else 0 end) over (
                partition by sdc_cel.sdc_kolom, {{ per | join(', ') }}, {{ sdc_is_marge(marge, 'sdc_cel.') }}
            ) as sdc_verborgen_{{ j }}
            , row_number() over (
                partition by sdc_cel.sdc_kolom, {{ per | join(', ') }}, {{ sdc_is_marge(marge, 'sdc_cel.') }}
                order by
                    case when sdc_cel.sdc_verborgen then 1 else 0 end,
                    case when sdc_cel.sdc_waarde = 0 then 1 else 0 end,
                    sdc_cel.sdc_waarde,
                    {%- for kolom in sleutel %}
                    sdc_cel.{{ kolom }}{% if not loop.last %},{% endif %}
                    {%- endfor %}
            ) as sdc_volgorde_{{ j }}
            {%- endfor %}
        from sdc_p{{ pass }}_genest as sdc_cel
        {%- for groepering in groeperingen %}
        {%- set j = loop.index %}
        {%- set marge = groepering.get('marge', {}) %}
        {%- for alias in ['sdc_g', 'sdc_m'] %}
        left join sdc_p{{ pass }}_{{ alias[-1] }}{{ j }} as {{ alias }}{{ j }}
            on
            sdc_cel.sdc_kolom = {{ alias }}{{ j }}.sdc_kolom
            {%- for kolom in groepering['per'] if kolom not in marge %}
            and sdc_cel.{{ kolom }} = {{ alias }}{{ j }}.{{ kolom }}
            {%- endfor %}
        {%- endfor %}
        {%- endfor %}
    ),

    sdc_p{{ pass }} as materialized (
        select
            {{ sleutel_lijst }},
            sdc_kolom,
            sdc_waarde,
            (
                sdc_verborgen
                {%- for groepering in groeperingen %}
                {%- set j = loop.index %}
                or (
                    not sdc_is_marge_{{ j }}
                    and (sdc_verborgen_{{ j }} = 1 or (sdc_verborgen_{{ j }} = 0 and sdc_marge_verborgen_{{ j }} = 1))
                    and sdc_volgorde_{{ j }} = 1
                )
                or (sdc_is_marge_{{ j }} and sdc_marge_verbergen_{{ j }} = 1)
                {%- endfor %}
            ) as sdc_verborgen
        from sdc_p{{ pass }}_groepen
    ),
    {%- endfor %}

    {#- Fail closed: one more pass (sdc_p{passes + 1}) must change nothing, i.e. the pattern is a fixpoint of every
        rule. Raise sdc_passes if this ever fires. #}
    sdc_onstabiel as (
        select count(*) as aantal_groepen
        from sdc_p{{ passes }} as sdc_laatste
        inner join sdc_p{{ passes + 1 }} as sdc_controle
            on
            {%- for kolom in sleutel %}
            sdc_laatste.{{ kolom }} is not distinct from sdc_controle.{{ kolom }} and
            {%- endfor %}
            sdc_laatste.sdc_kolom = sdc_controle.sdc_kolom
        where sdc_laatste.sdc_verborgen != sdc_controle.sdc_verborgen
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


{% macro sdc_is_marge(marge, prefix='') -%}
    {#- SQL condition: is this row the margin (published total) of a grouping? `marge` maps key columns to the
        margin row's literal values; a grouping without one has no margin row in the relation. -#}
    {%- if marge -%}
        ({% for kolom, waarde in marge.items() %}{{ prefix }}{{ kolom }} = {{ waarde }}{% if not loop.last %} and {% endif %}{% endfor %})
    {%- else -%}
        false
    {%- endif -%}
{%- endmacro %}
