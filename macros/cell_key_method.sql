{#-
    The cell key method (Thompson, Broadfoot & Elazar 2013; ONS Census 2021; Destatis Census 2022) for every count of
    every BI mart; the method, its parameters and how to read the result are in _macros.yml (docs site).

    A mart counts people with ckm_telling(), which gives each count its cell key (the sum of the record keys of the
    cell's people modulo 256, from the model `recordsleutels`), and then wraps its counts with
    cell_key_perturbation(), which adds the noise the p-table (seed `ptable`) gives for (count, cell key) and
    withholds what lands under `sdc_drempel`. Percentages are computed from the perturbed counts with
    ckm_percentage(). The same population cell therefore gets the same published value in every mart, rebuild and
    wave, and no relation between published cells holds exactly.
-#}

{% macro ckm_drempel() -%}
    {%- set drempel = var('sdc_drempel', 5) | int -%}
    {%- if drempel < 1 -%}
        {{ exceptions.raise_compiler_error("sdc_drempel must be a positive integer, got " ~ drempel) }}
    {%- endif -%}
    {{ return(drempel) }}
{%- endmacro %}


{% macro ckm_personen() -%}
    {#- Every person of the pseudonymised dataset with their secret record key: what a telling model counts, as the
        body of a CTE named `dataset`. -#}
    select
        gepseudonimiseerd.*,
        sleutels.recordsleutel
    from {{ ref('gepseudonimiseerde_dataset') }} as gepseudonimiseerd
    inner join {{ ref('recordsleutels') }} as sleutels
        on gepseudonimiseerd.pseudoniem = sleutels.pseudoniem
{%- endmacro %}


{% macro ckm_telling(naam, voorwaarde=none, recordsleutel='recordsleutel') -%}
    {#- A count of people (rows) and its cell key, as two select-list items `<naam>` and `<naam>_celsleutel`.
        `voorwaarde` restricts the count (SQL condition); without it every row of the group counts. -#}
    {%- if not naam.startswith('aantal_') -%}
        {{ exceptions.raise_compiler_error("ckm_telling: count column '" ~ naam ~ "' must be named aantal_…") }}
    {%- endif -%}
    {%- set filter = ' filter (where ' ~ voorwaarde ~ ')' if voorwaarde else '' -%}
    count(*){{ filter }} as {{ naam }},
    cast(coalesce(sum({{ recordsleutel }}){{ filter }}, 0) % 256 as integer) as {{ naam }}_celsleutel
{%- endmacro %}


{% macro cell_key_perturbation(mart) %}
    {#- CTEs ending in `ckm_resultaat` for `mart`, as mart_tellingen() describes it: one row per row of its telling
        model, with the `sleutel` columns, per count of `aantallen` the published (perturbed) count under the same
        name and `<count>_onderdrukt`, and per statistic of `statistieken` ({column: its count}) the statistic where
        that count may carry one. The telling model holds every count and its `<count>_celsleutel` (ckm_telling). -#}
    {%- if mart not in mart_tellingen() -%}
        {{ exceptions.raise_compiler_error("cell_key_perturbation: " ~ mart ~ " is not listed in mart_tellingen() (macros/marts.sql)") }}
    {%- endif -%}
    {%- set beschrijving = mart_tellingen()[mart] -%}
    {%- set relatie = ref(beschrijving['telling']) -%}
    {%- set sleutel = beschrijving['sleutel'] -%}
    {%- set aantallen = beschrijving['aantallen'] -%}
    {%- set statistieken = beschrijving.get('statistieken', {}) -%}
    {%- set drempel = ckm_drempel() -%}
    {%- for kolom in aantallen -%}
        {%- if not kolom.startswith('aantal_') -%}
            {{ exceptions.raise_compiler_error("cell_key_perturbation: count column '" ~ kolom ~ "' must be named aantal_…") }}
        {%- endif -%}
    {%- endfor -%}
    {%- for kolom, basis in statistieken.items() -%}
        {%- if basis not in aantallen -%}
            {{ exceptions.raise_compiler_error("cell_key_perturbation: statistic " ~ kolom ~ " needs a count of aantallen, got " ~ basis) }}
        {%- endif -%}
    {%- endfor %}

    ckm_laatste as (
        -- Every count from the last row on has the whole noise window, so that row serves them all (_macros.yml).
        select max(ptable.pcv) as laatste_pcv
        from {{ ref('ptable') }} as ptable
    ),

    ckm_verstoord as (
        select
            {%- for kolom in sleutel %}
                ckm_bron.{{ kolom }},
            {%- endfor %}
            {%- for kolom in statistieken %}
                ckm_bron.{{ kolom }},
            {%- endfor %}
            {%- for kolom in aantallen %}
                ckm_bron.{{ kolom }} as {{ kolom }}_waar,
                -- A (count, cell key) missing from the p-table fails the build instead of publishing a raw count.
                ckm_bron.{{ kolom }} + coalesce(
                    ckm_p{{ loop.index }}.pvalue,
                    error('cell_key_perturbation: no p-table row for count ' || ckm_bron.{{ kolom }} || ' and cell key '
                        || ckm_bron.{{ kolom }}_celsleutel || '; regenerate seeds/ptable.csv with `pijler3 ptable`')
                ) as {{ kolom }}_verstoord{% if not loop.last %},{% endif %}
            {%- endfor %}
        from {{ relatie }} as ckm_bron
        cross join ckm_laatste
        {%- for kolom in aantallen %}
            left join {{ ref('ptable') }} as ckm_p{{ loop.index }}
                on
                    least(ckm_bron.{{ kolom }}, ckm_laatste.laatste_pcv) = ckm_p{{ loop.index }}.pcv
                    and ckm_bron.{{ kolom }}_celsleutel = ckm_p{{ loop.index }}.ckey
        {%- endfor %}
    ),

    {%- set kolommen = [] -%}
    {%- for kolom in sleutel -%}
        {%- do kolommen.append('ckm_verstoord.' ~ kolom) -%}
    {%- endfor -%}
    {%- for kolom in aantallen -%}
        {#- Counts under the threshold (true zeros included) are withheld, never published as such. -#}
        {%- do kolommen.append(
            'case when ckm_verstoord.' ~ kolom ~ '_verstoord >= ' ~ drempel ~ ' then ckm_verstoord.' ~ kolom
            ~ '_verstoord end as ' ~ kolom
        ) -%}
        {%- do kolommen.append(
            'coalesce(ckm_verstoord.' ~ kolom ~ '_verstoord < ' ~ drempel ~ ', true) as ' ~ kolom ~ '_onderdrukt'
        ) -%}
    {%- endfor -%}
    {%- for kolom, basis in statistieken.items() -%}
        {#- A statistic over a cell (a median) only where at least `drempel` people are behind it, in truth and as
            published. -#}
        {%- do kolommen.append(
            'case when ckm_verstoord.' ~ basis ~ '_waar >= ' ~ drempel ~ ' and ckm_verstoord.' ~ basis
            ~ '_verstoord >= ' ~ drempel ~ ' then ckm_verstoord.' ~ kolom ~ ' end as ' ~ kolom
        ) -%}
    {%- endfor %}

    ckm_resultaat as (
        select
            {{ kolommen | join(',\n            ') }}
        from ckm_verstoord
    )
{%- endmacro %}


{% macro ckm_percentage(teller, noemer, decimalen=1) -%}
    {#- A percentage from two published counts; NULL when either is withheld or the denominator is 0. -#}
    round(100.0 * {{ teller }} / nullif({{ noemer }}, 0), {{ decimalen }})
{%- endmacro %}


{% macro afgerond_aantal(relatie, naam, basis=var('sdc_afronding', 5)) -%}
    {#- The simpler rule for counts that are not about people (extract rows in mart_datakwaliteit), as two select-list
        items `<naam>` and `<naam>_onderdrukt`: 0 stays 0, 1 … sdc_drempel - 1 is withheld (NULL), the rest is
        rounded to a multiple of `basis` (never to 0); see _macros.yml for why that is safe there. -#}
    {%- set kolom = relatie ~ '.' ~ naam -%}
    {%- set drempel = ckm_drempel() -%}
    cast(
        case
            when {{ kolom }} = 0 then 0
            when {{ kolom }} >= {{ drempel }} then greatest(round({{ kolom }} / {{ basis }}), 1) * {{ basis }}
        end as bigint
    ) as {{ naam }},
    coalesce({{ kolom }} > 0 and {{ kolom }} < {{ drempel }}, false) as {{ naam }}_onderdrukt
{%- endmacro %}
